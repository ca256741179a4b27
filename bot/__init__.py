"""OneTeam: the weekly rhythm between an outsourced vendor team and the internal team, run in Slack."""

__version__ = "0.1.0"
