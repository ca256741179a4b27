"""The composition root: builds the services and connects features to each other at start-up, through
domain events (see `bot.events`) and read-only providers (see `bot.metrics`). The one module of `bot/`
that imports every feature, so that no feature imports another."""

from __future__ import annotations

from functools import partial

from bot.clock import Clock, SystemClock
from bot.events import HomeChanged, JiraIssueDone, JiraIssueLinked, MemberTimezoneChanged, ProfileRead
from bot.metrics import MetricsProviders
from bot.services import Services
from bot.settings import Settings, secret_value
from bot.slack import make_client
from storage.db import Database


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """The one `Services` of a process (or of a test's bot), with every feature connected."""
    services = Services(
        settings=settings,
        db=Database(settings.database_url),
        slack=make_client(secret_value(settings.slack_bot_token), settings.slack_api_url,
                          timeout=settings.slack_timeout),
        clock=clock or SystemClock(),
    )
    connect(services)
    return services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature), and each one
    that publishes something for the others (figures for KPIs and the digest, a blocker, open issues)
    registers its read-only provider."""
    # Imported here: they build on bot.services.
    from bot.absence.oncall import on_duty
    from bot.absence.service import absent_on
    from bot.checkins.fanout import on_timezone_changed
    from bot.checkins.other_side import notes_of
    from bot.checkins.service import authorized_blocker, checkin_metrics, home_checkin, latest_open_blockers
    from bot.checkins.service import on_jira_linked as checkins_on_jira_linked
    from bot.escalations.agenda import open_escalations
    from bot.escalations.resolvers import escalation_resolvers
    from bot.escalations.service import check_may, escalation_metrics, home_escalations, on_jira_done
    from bot.escalations.service import on_jira_linked as escalations_on_jira_linked
    from bot.home.service import on_home_changed
    from bot.jira.config import has_project
    from bot.jira.service import jira_metrics, open_issues_for
    from bot.jira.wiring import connect as connect_jira
    from bot.kpi.commands import digest_kpis, home_kpis
    from bot.kpi.flags import kpi_flags
    from bot.kudos.service import kudos_metrics, public_kudos, received_by
    from bot.org.service import on_profile_read
    from bot.pulse.service import home_survey, pulse_metrics
    from bot.sync.service import on_jira_linked as sync_on_jira_linked
    from bot.sync.service import sync_home, sync_metrics

    connect_jira(services)  # Jira: adapter, events (EscalationRaised, BlockerReported), webhook route
    services.events.subscribe(HomeChanged, on_home_changed(services))  # App Home: republish on change
    # Read-only providers: figures for KPIs and the digest, and what one feature reads of another.
    services.metrics = MetricsProviders(checkins=checkin_metrics, escalations=escalation_metrics,
                                        pulse=pulse_metrics, jira=jira_metrics, open_blockers=latest_open_blockers,
                                        other_side_notes=notes_of,
                                        blocker=authorized_blocker, escalation_access=check_may,
                                        open_issues=open_issues_for, jira_project=has_project,
                                        home_checkin=home_checkin, home_survey=home_survey,
                                        home_escalations=home_escalations, home_kpis=home_kpis,
                                        kudos=kudos_metrics, kudos_notes=public_kudos, kudos_received=received_by,
                                        escalation_resolvers=escalation_resolvers, open_escalations=open_escalations,
                                        kpi_flags=kpi_flags, sync=sync_metrics, sync_home=sync_home,
                                        kpis=digest_kpis, absent=absent_on, on_duty=on_duty)
    services.events.subscribe(MemberTimezoneChanged,  # check-ins: prompts move to the new local time
                              partial(on_timezone_changed, services))
    services.events.subscribe(ProfileRead, partial(on_profile_read, services))  # org: the record follows Slack
    # What Jira did: escalations and check-ins record the key; an issue done in Jira resolves its escalation.
    services.events.subscribe(JiraIssueLinked, partial(escalations_on_jira_linked, services))
    services.events.subscribe(JiraIssueLinked, partial(checkins_on_jira_linked, services))
    services.events.subscribe(JiraIssueLinked, partial(sync_on_jira_linked, services))  # an action item's ticket
    services.events.subscribe(JiraIssueDone, partial(on_jira_done, services))
