"""Weekly check-ins: prompts in each member's time zone, answers, reminders, blockers routed to liaisons."""
