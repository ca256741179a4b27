"""The weekly internal-vendor sync: the draft agenda, items both sides add, minutes and action items."""
