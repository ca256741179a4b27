"""Demo scene (and the scripted respondents e2e tests reuse): a vendor team answers a pulse survey,
results show above the threshold and a segment below it stays hidden."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.org.schema import OrgSpec, PersonSpec, TeamMemberSpec

EXTRA_STAFF = (("seoyeon", "Choi Seo-yeon"), ("dohyun", "Jung Do-hyun"), ("yuna", "Han Yu-na"),
               ("minho", "Kang Min-ho"), ("jiwoo", "Yoon Ji-woo"), ("haneul", "Shin Ha-neul"))


def with_vendor_staff(spec: OrgSpec, team_key: str, count: int, domain: str = "hanabpo.example") -> OrgSpec:
    """The org with `count` more external vendor staff appended to one team (the example teams are
    smaller than any sensible anonymity threshold)."""
    team = next(t for t in spec.teams if t.key == team_key)
    org = team.vendor or "Vendor"
    people = [PersonSpec(email=f"{login}@{domain}", name=name, slack_id=f"U0X{login.upper()[:6]}",
                         timezone=team.timezone, locale="ko-KR" if team.locale == "ko" else None, external_org=org)
              for login, name in EXTRA_STAFF[:count]]
    teams = tuple(t.model_copy(update={"members": (*t.members, *(TeamMemberSpec(email=p.email) for p in people))})
                  if t.key == team_key else t for t in spec.teams)
    return spec.model_copy(update={"people": (*spec.people, *people), "teams": teams})


async def extend_org(h: Any, spec: OrgSpec) -> None:
    """Applies a bigger org to a running harness: Slack users first, then the org records."""
    from bot.org.service import apply_org

    for person in spec.people:
        if person.email not in h.users:
            h.sandbox.add_user(person.slack_id, person.email.split("@")[0], email=person.email,
                               real_name=person.name, tz=person.timezone or "UTC",
                               locale=person.locale or "en-US", team_id="T0VENDOR" if person.external_org else None)
            h.users[person.email] = person.slack_id
    h.spec = spec
    await apply_org(spec, h.services.sessions, h.services.directory)


def invitation_for(h: Any, email: str, survey_id: int) -> Any:
    """The person's DM inviting them to this survey (the last one, e.g. the reminder)."""
    found = None
    for message in h.sandbox.dms(h.user(email)):
        for block in message.blocks or []:
            for el in block.get("elements") or []:
                if el.get("action_id") == "pulse_open" and el.get("value") == str(survey_id):
                    found = message
    return found


async def answer(h: Any, email: str, survey_id: int, *, likert: int | dict[str, Any] = 4, enps: Any = 8,
                 comment: str | None = None) -> tuple[Any, Any]:
    """Clicks the DM button and submits the modal; returns (click ack, submit ack or None)."""
    from sandbox.slack import text_of

    user = h.user(email)
    click = await h.driver.block_action(user, "pulse_open", message=invitation_for(h, email, survey_id))
    await h.settle()
    views = [v for v in h.sandbox.open_views(user) if v.get("callback_id") == "pulse_answer"]
    if not views:
        return click, None
    view = views[-1]
    inputs: dict[str, Any] = {}
    for block in view["blocks"]:
        bid = block.get("block_id") or ""
        if bid.startswith("pulse_q_"):
            qid = bid.removeprefix("pulse_q_")
            inputs[bid] = likert.get(qid, 4) if isinstance(likert, dict) else likert
    if enps is not None:
        inputs["pulse_enps"] = enps
    if comment:
        inputs["pulse_comment"] = comment
    inputs = {k: v for k, v in inputs.items() if v is not None}
    submitted = await h.driver.submit_view(user, view, inputs=inputs)
    await h.settle()
    assert text_of(view)  # the modal rendered text a person can read
    return click, submitted


async def open_survey_ids(h: Any) -> dict[str, int]:
    from sqlalchemy import select

    from storage.models import PulseSurvey, Team

    async with h.services.sessions() as session:
        rows = await session.execute(select(Team.key, PulseSurvey.id).join(Team, Team.id == PulseSurvey.team_id)
                                     .where(PulseSurvey.state == "open"))
        return {key: sid for key, sid in rows.all()}


async def scene(stage: Any) -> None:
    from bot.calendar import next_working, zone
    from sandbox.slack import text_of
    from schedules.pulse import tick

    h = stage.h
    original = h.spec
    stage.title("Anonymous pulse survey: a vendor team says how it feels")
    await extend_org(h, with_vendor_staff(original, "care-hana", 3))
    stage.narrate("Three more Hana BPO agents join care-hana (6 vendor staff, Sam on the internal side). "
                  "The pulse job opens each team's survey and DMs everyone except the managers, each inside "
                  "their own working hours (08:00-20:00 local, Monday to Friday).")
    seoul_evening = h.clock.now().astimezone(zone("Asia/Seoul")).replace(hour=20, minute=0)
    h.clock.set(max(h.clock.now(), seoul_evening))  # the survey opens after the workday in Seoul
    await tick(h.services)
    surveys = await open_survey_ids(h)
    hana = surveys["care-hana"]
    opened = h.clock.now()
    stage.check(invitation_for(h, "minji@hanabpo.example", hana) is None,
                f"not yet for Min-ji: it is {opened.astimezone(zone('Asia/Seoul')):%A %H:%M} in Seoul")
    h.clock.set(next_working(opened, zone("Asia/Seoul")))
    await tick(h.services)
    stage.show_new("minji@hanabpo.example")
    stage.check(invitation_for(h, "minji@hanabpo.example", hana) is not None,
                f"Min-ji got the survey by DM at 08:00 on {h.clock.now().astimezone(zone('Asia/Seoul')):%A}, "
                "Seoul time")
    h.clock.set(next_working(h.clock.now(), zone("America/New_York")))
    await tick(h.services)
    stage.check(invitation_for(h, "sam@acme.example", hana) is not None, "Sam got it at 08:00 in New York")

    stage.narrate("Five vendor agents and Sam answer; the 'one team' feeling is low across the board.")
    voters = ["minji@hanabpo.example", "jisoo@hanabpo.example", "hyun@hanabpo.example",
              "seoyeon@hanabpo.example", "dohyun@hanabpo.example", "sam@acme.example"]
    ok = True
    for n, email in enumerate(voters):
        likert = {q: 2 for q in ("job_security", "control", "dynamics")}
        _click, sub = await answer(h, email, hana, likert=likert, enps=[9, 7, 6, 10, 3, 8][n],
                                   comment="More overlap hours with the Seoul team, please." if n == 0 else None)
        ok = ok and sub is not None and sub.ok
    stage.check(ok, "six people answered anonymously")
    _click, again = await answer(h, "jisoo@hanabpo.example", hana)
    stage.show_new("jisoo@hanabpo.example")
    stage.check(again is None, "Ji-soo's second answer was refused politely")

    ack = await h.command("dana@acme.example", "/pulse", "results care-hana")
    await h.settle()
    stage.show_new("dana@acme.example")
    while_open = text_of(h.sandbox.ephemerals(h.user("dana@acme.example"))[-1])
    stage.check(ack.ok and "answers" not in while_open, "no counts are shown while the survey is open")

    h.clock.set(opened + timedelta(days=3, minutes=-30))  # just before the close
    await tick(h.services)
    stage.check(sum("pulse_open" in str(m.blocks) for m in h.sandbox.dms(h.user("hyun@hanabpo.example"))) == 2,
                "one reminder went out, the next working morning in Seoul")
    h.clock.set(opened + timedelta(days=3, minutes=1))
    await tick(h.services)
    stage.show_new("dana@acme.example")

    await h.command("dana@acme.example", "/pulse", "results care-hana")
    await h.settle()
    results = h.sandbox.ephemerals(h.user("dana@acme.example"))[-1]
    stage.show("Dana Whitfield", "/pulse results care-hana", results)
    shown = text_of(results)
    stage.check("6" in shown and "Not split into internal and vendor sides" in shown,
                "team results shown (6 answers), not split by side: Sam is the only internal person surveyed, "
                "so his side is not even stored on its own")
    await h.command("minji@hanabpo.example", "/pulse", "results care-hana")
    await h.settle()
    refusal = h.sandbox.ephemerals(h.user("minji@hanabpo.example"))[-1]
    refused = text_of(refusal)
    stage.show("Kim Min-ji", "/pulse results care-hana", refusal)
    stage.check("관리자" in refused, "a vendor lead cannot read the results")

    stage.narrate("Dana answers the flagged concern: everyone surveyed in care-hana hears back, each inside "
                  "their own working hours.")
    button = next(b["accessory"] for b in results.blocks if (b.get("accessory") or {}).get("action_id")
                  == "pulse_follow_up")
    dana = h.user("dana@acme.example")
    await h.driver.block_action(dana, "pulse_follow_up", value=button["value"], message=results)
    await h.settle()
    modal = h.sandbox.open_views(dana)[-1]
    await h.driver.submit_view(dana, modal, inputs={"follow_up": "From next week each shift starts with a "
                                                                 "joint 15-minute huddle."})
    await h.settle()
    for tz in ("Asia/Seoul", "America/New_York"):  # quiet hours: each reads it inside their working hours
        h.clock.set(next_working(h.clock.now(), zone(tz)))
        await tick(h.services)
    got = [e for e in ("hyun@hanabpo.example", "yuna@hanabpo.example", "sam@acme.example")
           if "huddle" in text_of(h.sandbox.dms(h.user(e))[-1])]
    stage.show_new("yuna@hanabpo.example")
    stage.check(len(got) == 3, "the update reached everyone surveyed, respondents or not")
    await extend_org(h, original)
    h.clock.advance(timedelta(days=1))
