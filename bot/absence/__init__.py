"""Dated absences people set themselves: `/oneteam away`, `/oneteam away list`, `/oneteam back`."""
