"""Intake: scan the inbox, register, read, validate and stage regency files."""
