"""Every model module is imported here so that `Base.metadata` knows all tables (Alembic reads it)."""

from storage.models.absence import Absence, OncallCover
from storage.models.base import Base
from storage.models.checkins import CheckinBlocker, CheckinPrompt, CheckinRound
from storage.models.delivery import Delivery
from storage.models.escalations import Escalation, EscalationStep
from storage.models.jira import JiraAccount, JiraLink, JiraOutboxItem, JiraSubscription, JiraSyncState, JiraWeeklyStats
from storage.models.kpi import KpiValue
from storage.models.kudos import Kudos, KudosDay
from storage.models.ledger import HandledDelivery
from storage.models.milestone import Milestone
from storage.models.org import ROLES, Member, Membership, OrgApplied, ProfileSnapshot, Team
from storage.models.pulse import PulseAnswer, PulseComment, PulseFollowUp, PulseReceipt, PulseSurvey
from storage.models.sync import SyncActionItem, SyncItem, SyncMeeting

__all__ = ["ROLES", "Absence", "Base", "CheckinBlocker", "CheckinPrompt", "CheckinRound",
           "Delivery", "Escalation", "EscalationStep", "HandledDelivery", "JiraAccount",
           "JiraLink", "JiraOutboxItem", "JiraSubscription", "JiraSyncState", "JiraWeeklyStats", "KpiValue",
           "Kudos", "KudosDay", "Member", "Membership", "Milestone", "OncallCover", "OrgApplied", "ProfileSnapshot",
           "PulseAnswer", "PulseComment", "PulseFollowUp", "PulseReceipt", "PulseSurvey",
           "SyncActionItem", "SyncItem", "SyncMeeting", "Team"]
