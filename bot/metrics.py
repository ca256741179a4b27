"""What features publish for each other: typed metrics for KPIs and the digest, what one feature reads of
another (a blocker another feature may act on, a member's open Jira issues, ...), and the registry of these
read-only providers.

Features never import each other. Each one computes its own figures as one of the dataclasses below and
registers its provider in `MetricsProviders` at start-up (`bot/wiring.py`); KPIs and the digest read the
fields through these types, so a renamed or misspelt field fails the type checker instead of reading
as "no data" at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Mrkdwn
from bot.i18n import Translator
from bot.permissions import Action, Actor
from storage.models import Member, Team

if TYPE_CHECKING:
    from bot.services import Services  # which holds this registry

M = TypeVar("M")
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
# A member's open Jira issues by email, at most `limit`; [] when Jira is off, unknown or unreachable.
OpenIssuesFn = Callable[["Services", str, int], Awaitable[Sequence[OpenIssue]]]
# Whether a team's stored config names a Jira project (without one it gets no Jira buttons).
JiraProjectFn = Callable[[dict[str, Any] | None], bool]


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

    def has_jira_project(self, team_config: dict[str, Any] | None) -> bool:
        return self.jira_project is not None and self.jira_project(team_config)
