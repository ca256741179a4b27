"""Connects features to each other at start-up: domain events (see `bot.events`) and metrics providers
(see `bot.metrics`)."""

from __future__ import annotations

from functools import partial

from bot.metrics import MetricsProviders
from bot.services import Services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature), and each one
    that publishes figures for KPIs and the digest registers its provider."""
    # Imported here: they build on bot.services.
    from bot.checkins.fanout import on_timezone_changed
    from bot.checkins.other_side import notes_of
    from bot.checkins.service import checkin_metrics, latest_open_blockers
    from bot.escalations.agenda import open_escalations
    from bot.escalations.resolvers import escalation_resolvers
    from bot.escalations.service import escalation_metrics
    from bot.home.service import on_home_changed
    from bot.jira.service import jira_metrics
    from bot.jira.wiring import connect as connect_jira
    from bot.kpi.flags import kpi_flags
    from bot.kudos.service import kudos_metrics, public_kudos, received_by
    from bot.pulse.service import pulse_metrics
    from bot.sync.service import on_jira_linked, sync_home, sync_metrics

    connect_jira(services)  # Jira: adapter, events, webhook route
    services.events.subscribe("home.changed", on_home_changed(services))  # App Home: republish on change
    # Read-only figures each feature publishes for KPIs and the digest.
    services.metrics = MetricsProviders(checkins=checkin_metrics, escalations=escalation_metrics,
                                        pulse=pulse_metrics, jira=jira_metrics, open_blockers=latest_open_blockers,
                                        kudos=kudos_metrics, kudos_notes=public_kudos, kudos_received=received_by,
                                        escalation_resolvers=escalation_resolvers, other_side_notes=notes_of,
                                        open_escalations=open_escalations, kpi_flags=kpi_flags, sync=sync_metrics,
                                        sync_home=sync_home)
    services.events.subscribe("jira.linked", partial(on_jira_linked, services))  # sync: an action item's ticket
    services.events.subscribe("member.timezone_changed",  # check-ins: prompts move to the new local time
                              partial(on_timezone_changed, services))
