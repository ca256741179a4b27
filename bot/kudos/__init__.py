"""Kudos: people thank each other, across the line between the internal team and the vendor."""
