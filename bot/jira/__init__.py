"""Jira sync: tickets from escalations and blockers, status back into Slack, a durable outbox for writes."""
