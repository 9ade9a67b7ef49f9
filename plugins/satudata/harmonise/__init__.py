"""Harmonisation: DTKS and P3KE people and families linked (exact NIK, then probabilistic), clerical review."""
