"""`org apply` against the sandbox workspace: lookups by email, idempotence, change reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.org.schema import OrgSpec
from bot.org.service import apply_file, apply_on_start, apply_org
from bot.orgfile import parse
from sandbox.harness import EXAMPLE_ORG, Harness
from storage.models import Member, Membership, Team


async def test_apply_resolves_people_by_email_and_is_idempotent(harness: Harness) -> None:
    first = harness.apply_report
    assert "team care-hana" in first.created and not first.warnings
    async with harness.services.sessions() as session:
        minji = await session.scalar(select(Member).where(Member.email == "minji@hanabpo.example"))
    assert minji.slack_user_id == harness.user("minji@hanabpo.example")  # found via users.lookupByEmail
    assert minji.timezone == "Asia/Seoul" and minji.locale == "ko-KR"
    # One paged users.list finds the workspace's people; only Slack Connect vendor staff are looked up by email.
    lookups = {c.args["email"] for c in harness.sandbox.calls_to("users.lookupByEmail")}
    assert lookups == {p.email for p in harness.spec.people if p.external_org}
    assert harness.sandbox.calls_to("users.list")

    again = await apply_org(harness.spec, harness.services.sessions, harness.services.directory)
    assert again.nothing_changed, (again.created, again.changed, again.removed)


async def test_changes_and_removals_are_reported(harness: Harness) -> None:
    text = EXAMPLE_ORG.read_text()
    text = text.replace("- priya@acme.example\n", "- {email: priya@acme.example, roles: [liaison]}\n")
    text = text.replace("      - hyun@hanabpo.example\n", "")
    spec, problems = parse(text)
    assert spec is not None, problems
    report = await apply_org(spec, harness.services.sessions, harness.services.directory)
    assert any("priya@acme.example in care-internal: roles" in c for c in report.changed)
    assert "hyun@hanabpo.example from care-hana" in report.removed
    async with harness.services.sessions() as session:
        hana = await session.scalar(select(Team).where(Team.key == "care-hana"))
        emails = set(await session.scalars(
            select(Member.email).join(Membership).where(Membership.team_id == hana.id)))
    assert "hyun@hanabpo.example" not in emails and "jisoo@hanabpo.example" in emails


async def test_unknown_email_is_a_warning_not_a_failure(harness: Harness) -> None:
    text = EXAMPLE_ORG.read_text().replace("hyun@hanabpo.example", "ghost@hanabpo.example")
    spec, _ = parse(text)
    report = await apply_org(spec, harness.services.sessions, harness.services.directory)
    assert any("ghost@hanabpo.example" in w for w in report.warnings)
    assert "member ghost@hanabpo.example" in report.created


async def test_an_unchanged_file_is_applied_once_per_workspace_and_a_changed_one_again(harness: Harness) -> None:
    h = harness
    text = EXAMPLE_ORG.read_text()
    changed = text.replace("name: Priya Raman", "name: Priya Raman-Lee", 1)

    def spec_of(content: str) -> Callable[[], OrgSpec]:
        return lambda: parse(content)[0]

    assert await apply_file(h.services, h.spec, text.encode()) is not None  # `oneteam org apply` records it
    calls = len(h.sandbox.calls_to("users.list"))
    assert await apply_on_start(h.services, text.encode(), spec_of(text)) is None  # unchanged: no directory read
    assert len(h.sandbox.calls_to("users.list")) == calls
    report = await apply_on_start(h.services, changed.encode(), spec_of(changed))
    assert report is not None and any("Priya Raman-Lee" in line for line in report.changed)
    assert await apply_on_start(h.services, changed.encode(), spec_of(changed)) is None
    assert await apply_on_start(h.services, changed.encode(), spec_of(changed), force=True) is not None


async def test_instances_starting_together_apply_a_changed_file_once(harness: Harness) -> None:
    h = harness
    if h.services.db.is_sqlite:
        pytest.skip("several instances share PostgreSQL; SQLite has one process")
    other, _ = await h.add_instance()
    text = EXAMPLE_ORG.read_text().replace("name: Priya Raman", "name: Priya Raman-Lee", 1)
    reports = await asyncio.gather(*(apply_on_start(services, text.encode(), lambda: parse(text)[0])
                                     for services in (h.services, other)))
    assert sum(report is not None for report in reports) == 1


async def test_a_file_with_people_not_found_in_slack_is_tried_again_on_the_next_start(harness: Harness) -> None:
    h = harness
    text = EXAMPLE_ORG.read_text().replace("hyun@hanabpo.example", "ghost@hanabpo.example")
    first = await apply_on_start(h.services, text.encode(), lambda: parse(text)[0])
    assert first is not None and first.warnings
    again = await apply_on_start(h.services, text.encode(), lambda: parse(text)[0])
    assert again is not None, "a person missing from Slack must be looked up again when they may have joined"
