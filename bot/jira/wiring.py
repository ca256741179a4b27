"""Turns the Jira feature on when JIRA_URL and JIRA_TOKEN are set: the adapter, the event subscriptions and
the webhook route. Unset, nothing is wired, buttons are not rendered and every Jira job is a no-op."""

from __future__ import annotations

from functools import partial

from bot.events import ActionItemTicketWanted, BlockerReported, EscalationRaised
from bot.jira import service, webhook
from bot.services import Services
from bot.settings import secret_value


def connect(services: Services) -> None:
    settings = services.settings
    if not settings.jira_enabled:
        return
    from bot.jira.adapter import JiraAdapter  # the `jira` library loads only where Jira is configured

    services.extras["jira"] = JiraAdapter(settings.jira_url or "", user=settings.jira_user,
                                          token=secret_value(settings.jira_token) or "",
                                          timeout=settings.jira_timeout)
    services.events.subscribe(EscalationRaised, partial(service.on_escalation_raised, services))
    services.events.subscribe(BlockerReported, partial(service.on_blocker, services))
    services.events.subscribe(ActionItemTicketWanted, partial(service.on_action_item, services))
    path = webhook.webhook_path(settings)
    if path:
        services.extras.setdefault("routes", []).append(("POST", webhook.PATH, webhook.make_handler(services)))
