"""`org apply` against the sandbox workspace: lookups by email, idempotence, change reports."""

from __future__ import annotations

from sqlalchemy import select

from bot.org.service import apply_org
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
