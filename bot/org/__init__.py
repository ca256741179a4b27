"""Org as code: the YAML admins write, its validation with line numbers, and applying it to storage."""
