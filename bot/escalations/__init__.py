"""The emergency-response flow: /escalate, timed escalation through levels, acknowledgement, resolution."""
