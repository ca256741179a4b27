"""What features publish for each other: typed metrics for KPIs and the digest, what one feature reads of
another (a blocker another feature may act on, a member's open Jira issues, ...), and the registry of these
read-only providers.

Features never import each other. Each one computes its own figures as one of the dataclasses below and
registers its provider in `MetricsProviders` at start-up (`bot/wiring.py`); KPIs and the digest read the
fields through these types, so a renamed or misspelt field fails the type checker instead of reading
as "no data" at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Mrkdwn
from bot.i18n import Translator
from bot.permissions import Action, Actor
from storage.models import Member, Team

if TYPE_CHECKING:
    from bot.services import Services  # which holds this registry

log = logging.getLogger("oneteam.metrics")

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)
# A feature's figures for one team over [start, end); None when it has nothing for that period.
MetricsFn = Callable[[AsyncSession, int, datetime, datetime], Awaitable[M | None]]
# A team's latest unresolved blockers as people wrote them, newest first, at most `limit` (team id, limit).
BlockersFn = Callable[[AsyncSession, int, int], Awaitable[Sequence[str]]]


@dataclass(frozen=True)
class CheckinMetrics:
    rounds: int
    expected: int  # prompts that count (skips and leave/away excluded)
    answered: int
    response_rate: float | None  # answered / expected
    median_minutes_to_answer: float | None
    mood_average: float | None
    mood_distribution: dict[int, int]
    blockers: int


@dataclass(frozen=True)
class EscalationMetrics:
    opened: int = 0
    resolved: int = 0
    open_now: int = 0
    sla_judged: int = 0  # opened escalations whose acknowledge clock has stopped or run out
    sla_breaches: int = 0  # of those, the acknowledge target was missed (SLA clocks, pauses excluded)
    ack_median_hours: float | None = None
    ack_p90_hours: float | None = None
    resolve_median_hours: float | None = None
    resolve_p90_hours: float | None = None
    reopen_rate: float | None = None
    satisfaction_avg: float | None = None
    by_severity: dict[str, int] = field(default_factory=dict)
    # SLA clocks of the escalations opened in the period: severity -> (met, judged) for each clock.
    sla_ack: dict[str, tuple[int, int]] = field(default_factory=dict)
    sla_resolve: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Breaches recorded in the period, by the side whose clock was running (internal, vendor).
    breaches_by_side: dict[str, int] = field(default_factory=dict)
    # P1/P2 pages (one per person called) of escalations opened in the period that reached someone outside
    # their working hours, by the side they work for: internal or vendor
    after_hours_pages: dict[str, int] = field(default_factory=dict)

    def attainment(self, clock: str, severity: str) -> float | None:
        """Share of judged escalations of a severity that met the `ack` or `resolve` target."""
        met, judged = (self.sla_ack if clock == "ack" else self.sla_resolve).get(severity, (0, 0))
        return met / judged if judged else None

    @property
    def within_sla_rate(self) -> float | None:
        """The one definition of "within SLA" (KPIs and the digest read it): the share of judged escalations
        acknowledged in time. One whose deadline is still ahead is not judged yet, either way."""
        return (self.sla_judged - self.sla_breaches) / self.sla_judged if self.sla_judged else None


class Statement(Protocol):
    """A pulse statement, as the reader reads it."""

    def text(self, t: Translator) -> str: ...


@dataclass(frozen=True)
class ConcernMetrics:
    """One statement of a survey at team level."""

    question_id: str
    statement: Statement
    average: float
    flagged: bool


@dataclass(frozen=True)
class SurveyMetrics:
    survey_id: int
    closed_on: date
    respondents: int | None  # None: below the threshold
    enps: int | None
    enps_change: int | None
    concerns: Sequence[ConcernMetrics]

    @property
    def score(self) -> float | None:
        """The average agreement over the survey's statements (1-5)."""
        averages = [c.average for c in self.concerns]
        return sum(averages) / len(averages) if averages else None


@dataclass(frozen=True)
class FollowUpMetrics:
    question_id: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class PulseMetrics:
    team_id: int
    surveys: Sequence[SurveyMetrics]
    follow_ups: Sequence[FollowUpMetrics]

    @property
    def latest_visible(self) -> SurveyMetrics | None:
        """The last survey of the period whose team figures pass the anonymity threshold."""
        visible = [s for s in self.surveys if s.respondents is not None]
        return visible[-1] if visible else None


@dataclass(frozen=True)
class JiraMetrics:
    created: int | None = None
    resolved: int | None = None
    overdue: int | None = None


@dataclass(frozen=True)
class BlockerInfo:
    """A check-in blocker as another feature (escalate it, ticket it) sees it."""

    id: int
    team_key: str
    member_name: str
    member_email: str
    text: str
    jira_key: str | None
    status: str


@dataclass(frozen=True)
class OpenIssue:
    """One of a member's open Jira issues, shown in their check-in prompt."""

    key: str
    summary: str
    status: str
    url: str
    due: date | None


@dataclass(frozen=True)
class Note:
    """A note a member wrote for the other side in a check-in (the digest quotes them)."""

    member: str
    text: str


# A team's notes for the other side in rounds opened in [start, end), newest first (team id, start, end).
NotesFn = Callable[[AsyncSession, int, datetime, datetime], Awaitable[Sequence[Note]]]


# --- what App Home reads of each feature ---------------------------------------------------------------

OVERSEER_ROLES = frozenset({"liaison", "manager"})  # who sees a team's KPIs and open escalations


@dataclass(frozen=True)
class CheckinCard:
    team_name: str
    week: str
    round_id: int
    closes_at: datetime
    answered: bool


@dataclass(frozen=True)
class SurveyCard:
    survey_id: int
    team_name: str
    closes_at: datetime


@dataclass(frozen=True)
class EscalationCard:
    ref: str
    severity: str
    summary: str
    state: str
    team_name: str
    sla_due: datetime | None = None  # the nearest SLA deadline not yet missed (None: paused, stopped or none)
    sla_missed: bool = False  # an SLA target was missed


class KpiPanel(Protocol):
    """A team's KPIs as the KPI feature renders them for App Home."""

    @property
    def team_name(self) -> str: ...

    def lines(self, t: Translator) -> Sequence[Mrkdwn]: ...


# The member's open check-in, if any (session, member).
HomeCheckinFn = Callable[[AsyncSession, Member], Awaitable[CheckinCard | None]]
# The survey the member may answer now, if any.
HomeSurveyFn = Callable[["Services", Member], Awaitable[SurveyCard | None]]
# (escalations the member raised, open ones of the teams they oversee) (session, member, overseen team ids).
HomeEscalationsFn = Callable[[AsyncSession, Member, set[int]],
                             Awaitable[tuple[list[EscalationCard], list[EscalationCard]]]]
# A team's KPIs for App Home; None when the team defines none (session, team, now, providers).
HomeKpisFn = Callable[[AsyncSession, Team, datetime, "MetricsProviders"], Awaitable[KpiPanel | None]]


# The blocker, once the permission table lets `member` take `action` on it (session, member, action,
# blocker id, connect); raises UserFacingError otherwise.
BlockerAccessFn = Callable[[AsyncSession, Member, Action, int, bool], Awaitable[BlockerInfo]]
# Refuses (UserFacingError) unless the permission table lets the actor take `action` on the escalation.
EscalationAccessFn = Callable[["Services", Actor, Action, int], Awaitable[object]]
# Members' open Jira issues by email (at most `limit` each) for one page of members: an email maps to its
# issues ([] when none or unknown to Jira), or to None when they could not be loaded (Jira throttled or down),
# so that the prompt says so instead of silently leaving the list out. Jira off: an empty mapping.
OpenIssuesFn = Callable[["Services", Sequence[str], int], Awaitable[Mapping[str, Sequence[OpenIssue] | None]]]
# Which of these people (Member ids) set themselves away on a day, their local date (session, ids, day).
AbsentFn = Callable[[AsyncSession, Collection[int], date], Awaitable[set[int]]]
# Who is on duty in a team's on-call rotation at a moment: a cover, else the schedule (session, team, name, now).
OnDutyFn = Callable[[AsyncSession, Team, str, datetime], Awaitable[list[Member]]]
# Whether a team's stored config names a Jira project (without one it gets no Jira buttons).
JiraProjectFn = Callable[[dict[str, Any] | None], bool]


# --- what kudos and the weekly sync read and publish -------------------------------------------------

@dataclass(frozen=True)
class KudosMetrics:
    """Thanks given in a team over a period, by direction across the line."""

    total: int = 0
    internal_to_vendor: int = 0
    vendor_to_internal: int = 0

    @property
    def cross_side_balance(self) -> float | None:
        """How evenly thanks cross the line (0-1): 1 when each side thanks the other as often; None
        when nobody thanked across the line."""
        most = max(self.internal_to_vendor, self.vendor_to_internal)
        return min(self.internal_to_vendor, self.vendor_to_internal) / most if most else None


@dataclass(frozen=True)
class KudosNote:
    """One thanks as people read it (names from the org file, the reason as typed)."""

    giver: str
    receivers: tuple[str, ...]
    reason: str
    from_vendor: bool


@dataclass(frozen=True)
class Resolvers:
    """Who resolved an escalation (and acknowledged it), read from its own record."""

    team_id: int
    ref: str
    slack_ids: tuple[str, ...]


@dataclass(frozen=True)
class OpenEscalation:
    ref: str
    severity: str
    summary: str
    breached: bool  # level 1 did not acknowledge before the deadline


@dataclass(frozen=True)
class KpiFlag:
    """A KPI's latest standing, for the sync agenda: off track, or back on target since last week."""

    name: str
    value: float
    unit: str
    on_track: bool
    back_on_track: bool


@dataclass(frozen=True)
class SyncMetrics:
    """Action items of a team's weekly sync due in a period."""

    due: int = 0
    closed_on_time: int = 0
    open_now: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None


@dataclass(frozen=True)
class SyncAction:
    what: str
    due: date
    team_name: str


@dataclass(frozen=True)
class SyncHome:
    """What App Home shows of the sync: the next agenda (team, start, where) and my open action items."""

    next_meetings: Sequence[tuple[str, datetime, str]]
    actions: Sequence[SyncAction]


# A team's open escalations, most severe first, at most `limit`.
OpenEscalationsFn = Callable[[AsyncSession, int, int], Awaitable[Sequence[OpenEscalation]]]
# A team's KPIs that are off track or back on target at `now` (the providers compute the computed ones).
KpiFlagsFn = Callable[[AsyncSession, int, datetime, "MetricsProviders"], Awaitable[Sequence[KpiFlag]]]
# App Home's sync part for a person (Slack id) at `now`.
SyncHomeFn = Callable[[AsyncSession, str, datetime], Awaitable[SyncHome | None]]
# A team's public cross-side thanks over [start, end), newest first, at most `limit`.
KudosNotesFn = Callable[[AsyncSession, int, datetime, datetime, int], Awaitable[Sequence[KudosNote]]]
# The thanks a person (Slack id) received, newest first, at most `limit`.
KudosReceivedFn = Callable[[AsyncSession, str, int], Awaitable[Sequence[KudosNote]]]
# A resolved escalation's resolvers (escalation id); None when it is not resolved or unknown.
ResolversFn = Callable[[AsyncSession, int], Awaitable[Resolvers | None]]

# --- what the digest reads of the KPI feature ---------------------------------------------------------


class KpiReading(Protocol):
    """One KPI over some weeks, as the KPI feature formats it for the digest."""

    @property
    def name(self) -> str: ...

    @property
    def target(self) -> float: ...

    @property
    def lower_is_better(self) -> bool: ...

    @property
    def has_values(self) -> bool: ...

    def value_in(self, week: str) -> float | None: ...

    def on_track(self, value: float) -> bool: ...

    def value_text(self, t: Translator, value: float) -> str: ...

    def target_text(self, t: Translator) -> str: ...

    def status_text(self, t: Translator, on_track: bool | None) -> str: ...


# A team's KPIs over some weeks, oldest first; () when it defines none (session, team, weeks, now, the
# digest's figures, so that both read each feature's figures once).
KpiReadingsFn = Callable[[AsyncSession, Team, Sequence[str], datetime, "TeamMetrics"],
                         Awaitable[Sequence[KpiReading]]]


@dataclass(frozen=True)
class MetricsProviders:
    """The registry features read each other through: each feature's provider, None where it is absent."""

    checkins: MetricsFn[CheckinMetrics] | None = None
    escalations: MetricsFn[EscalationMetrics] | None = None
    pulse: MetricsFn[PulseMetrics] | None = None
    jira: MetricsFn[JiraMetrics] | None = None
    open_blockers: BlockersFn | None = None
    other_side_notes: NotesFn | None = None
    blocker: BlockerAccessFn | None = None
    escalation_access: EscalationAccessFn | None = None
    open_issues: OpenIssuesFn | None = None
    jira_project: JiraProjectFn | None = None
    home_checkin: HomeCheckinFn | None = None
    home_survey: HomeSurveyFn | None = None
    home_escalations: HomeEscalationsFn | None = None
    home_kpis: HomeKpisFn | None = None
    kudos: MetricsFn[KudosMetrics] | None = None
    kudos_notes: KudosNotesFn | None = None
    kudos_received: KudosReceivedFn | None = None
    escalation_resolvers: ResolversFn | None = None
    open_escalations: OpenEscalationsFn | None = None
    kpi_flags: KpiFlagsFn | None = None
    sync: MetricsFn[SyncMetrics] | None = None
    sync_home: SyncHomeFn | None = None
    kpis: KpiReadingsFn | None = None
    absent: AbsentFn | None = None
    on_duty: OnDutyFn | None = None

    async def absent_on(self, session: AsyncSession, member_ids: Collection[int], day: date) -> set[int]:
        """The people of `member_ids` away on `day` (none when no absence feature is connected)."""
        return await self.absent(session, member_ids, day) if self.absent else set()

    def has_jira_project(self, team_config: dict[str, Any] | None) -> bool:
        return self.jira_project is not None and self.jira_project(team_config)


class Cached(Generic[M_co]):
    """One feature's metrics for one team, cached per period: the digest and the KPI table ask for the
    same week more than once. A feature that fails reads as "no data" and does not take the digest or
    /kpi down with it."""

    def __init__(self, feature: str, fn: MetricsFn[M_co] | None, session: AsyncSession, team_id: int) -> None:
        self.feature, self.fn, self.session, self.team_id = feature, fn, session, team_id
        self._cache: dict[tuple[datetime, datetime], M_co | None] = {}

    async def get(self, start: datetime, end: datetime) -> M_co | None:
        if (start, end) not in self._cache:
            self._cache[(start, end)] = await self._call(start, end)
        return self._cache[(start, end)]

    async def _call(self, start: datetime, end: datetime) -> M_co | None:
        if self.fn is None:
            return None
        try:
            return await self.fn(self.session, self.team_id, start, end)
        except Exception:
            log.exception("metrics failed", extra={"feature": self.feature, "team_id": self.team_id})
            return None


class TeamMetrics:
    """Per-request access to every feature's metrics for one team (the digest and KPIs share one)."""

    def __init__(self, session: AsyncSession, team_id: int, providers: MetricsProviders) -> None:
        self.providers = providers
        self.checkins = Cached("checkins", providers.checkins, session, team_id)
        self.escalations = Cached("escalations", providers.escalations, session, team_id)
        self.pulse = Cached("pulse", providers.pulse, session, team_id)
        self.jira = Cached("jira", providers.jira, session, team_id)
        self.kudos = Cached("kudos", providers.kudos, session, team_id)
        self.sync = Cached("sync", providers.sync, session, team_id)
        self.kudos_notes = providers.kudos_notes
        self.open_blockers = providers.open_blockers
        self.other_side_notes = providers.other_side_notes
