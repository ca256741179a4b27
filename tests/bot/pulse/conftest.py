"""Pulse fixtures: the example org with six more Hana BPO agents in care-hana (enough to pass the
threshold), applied without Slack, so people with a `slack_id` in the spec can answer."""

from __future__ import annotations

import pytest

from bot.org.schema import OrgSpec
from bot.org.service import apply_org
from bot.services import Services
from demo.pulse import with_vendor_staff


@pytest.fixture
async def pulse_services(services: Services, org_spec: OrgSpec) -> Services:
    await apply_org(with_vendor_staff(org_spec, "care-hana", 6), services.sessions, None)
    return services
