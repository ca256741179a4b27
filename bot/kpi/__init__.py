"""KPIs of a vendor team: definitions from the org YAML, weekly values (manual and computed)."""
