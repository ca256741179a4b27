"""The escalation policy in the org file: what is rejected, and where the admin is told to look."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.escalations.config import EscalationConfig
from bot.orgfile import parse

ORG = """\
organisation: {{name: Acme}}
people:
  - {{email: a@acme.example, name: A}}
teams:
  - key: ops
    name: Ops
    kind: internal
    escalation:
{policy}
    members: [a@acme.example]
"""


def problems(policy: str) -> list[str]:
    spec, found = parse(ORG.format(policy=policy))
    assert spec is None
    return [str(p) for p in found]


def test_a_policy_without_levels_is_rejected_on_its_line():
    found = problems("      levels: []")
    assert found == ["line 9: teams.0.escalation.levels: an escalation policy needs at least one level"]


def test_an_unknown_role_is_rejected():
    found = problems("      levels: [[vendor_lead], [boss]]")
    assert len(found) == 1 and "unknown role 'boss'" in found[0] and found[0].startswith("line 9")


def test_bad_durations_and_severities_are_rejected():
    assert "not a duration" in problems("      timeouts: {P1: soon}")[0]
    assert "unknown severity" in problems("      timeouts: {P7: 1h}")[0]
    assert "start before" in problems('      business_hours: {start: "18:00", end: "09:00"}')[0]


def test_defaults_follow_the_issue():
    cfg = EscalationConfig()
    assert cfg.levels == (("vendor_lead",), ("liaison",), ("manager",))
    assert [cfg.timeout(s) for s in ("P1", "P2", "P3", "P4")] == ["15m", "1h", "4h", "next_business_day"]
    assert cfg.acked_timeout("P1") == "30m" and cfg.acked_timeout("P2") == "2h" and cfg.acked_timeout("P3") is None
    assert cfg.jira_auto == ("P1", "P2") and not cfg.shared_channel_details


def test_a_partial_timeouts_map_keeps_the_other_defaults():
    cfg = EscalationConfig(timeouts={"P1": "5m"}, levels=[["ops@acme.example"], ["manager"]])
    assert cfg.timeout("P1") == "5m" and cfg.timeout("P2") == "1h"
    assert cfg.levels[0] == ("ops@acme.example",)


def test_a_level_naming_nobody_is_rejected():
    with pytest.raises(ValidationError, match="names nobody"):
        EscalationConfig(levels=[["liaison"], []])


def test_sla_targets_default_per_severity_and_a_partial_map_keeps_the_rest():
    cfg = EscalationConfig.model_validate({"sla": {"P1": {"ack": "5m"}}})
    assert cfg.sla_target("P1", "ack") == "5m" and cfg.sla_target("P1", "resolve") is None
    assert cfg.sla_target("P2", "ack") == "1h" and cfg.sla_target("P4", "resolve") == "5d"
    assert cfg.sla_business_severities == ("P3", "P4") and cfg.sla_warn_at == 0.8


def test_bad_sla_targets_and_the_old_business_hours_holidays_are_rejected_on_their_line():
    assert "unknown severity" in problems("      sla: {P9: {ack: 1h}}")[0]
    assert "not a duration" in problems("      sla: {P1: {ack: soon}}")[0]
    assert "not next_business_day" in problems("      sla: {P3: {resolve: next_business_day}}")[0]
    found = problems("      business_hours: {holidays: KR}")  # holidays come from the team's `calendar:` now
    assert found == ["line 9: teams.0.escalation.business_hours.holidays: unknown key"]
    assert "sla_warn_at" in problems("      sla_warn_at: 1.5")[0]
