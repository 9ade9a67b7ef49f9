"""Publication of the Satu Data warehouse: suppression, versioned switch, dictionary, exports, report, access."""
