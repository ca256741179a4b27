"""Every message edit the bot makes (`chat.update`, Tier 3: 50 a minute) takes a turn of one budget, whichever
feature makes it, and the edits people are looking at go before background ones. Before, the check-in summary
paced its own edits (40 a minute) while escalation cards and a closed round's prompts were edited unpaced: at
bench/soak.py's 40 requests a second, 44-48 card edits a run gave up after ten 429s."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.escalations.ids import Action
from bot.orgfile import OrgFile, load
from bot.pacing import UPDATES_BURST, UPDATES_PER_MINUTE
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import text_of
from schedules.checkins import tick
from tests.e2e.fanout_steps import prompt_everyone

BULK, HANA = "C0BULK", "C0HANA"
PRIYA, MINJI = "priya@acme.example", "minji@hanabpo.example"
N = 60
SCALE = 20  # Slack's limits 20x faster: a minute's budget in 3 s
FRIDAY_1600 = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def org_with_a_big_team() -> OrgFile:
    """The example org plus a UTC team of N members whose weekly check-in is due on Friday at 16:00."""
    data = load(EXAMPLE_ORG).model_dump(mode="json")
    people = [{"email": f"p{i:04d}@bulk.example", "name": f"Person {i}", "slack_id": f"U5{i:06d}",
               "timezone": "UTC"} for i in range(N)]
    data["people"] += people
    data["teams"].append({"key": "bulk", "name": "Bulk team", "kind": "internal", "timezone": "UTC",
                          "channel": BULK, "members": [p["email"] for p in people],
                          "checkins": {"weekday": "fri", "time": "16:00"}})
    return OrgFile.model_validate(data)


async def test_a_card_edit_goes_before_a_closed_rounds_edits_and_all_stay_within_the_limit() -> None:
    # The bot paces as against Slack at SCALE; the sandbox's limits are off, so that only the bot's own pacing
    # shows in the calls' times.
    h = Harness(org=org_with_a_big_team(), clock=FakeClock(FRIDAY_1600.replace(hour=12)), slack_rate_scale=SCALE)
    await h.start()
    try:
        await prompt_everyone(h, FRIDAY_1600)
        ack = await h.command(PRIYA, "/escalate", "P1 care-hana Refund queue stuck since 9am")
        await h.settle()
        assert ack.ok
        card = next(m for m in h.sandbox.channel_messages(HANA) if "ESC-1" in text_of(m))
        before = len(h.sandbox.calls_to("chat.update"))

        # The round closes three days after: each of the N unanswered prompts is edited to say so. Meanwhile
        # the level-1 responder acknowledges the escalation: its card is edited too.
        h.clock.set(datetime(2026, 11, 23, 16, 1, tzinfo=UTC))
        _, ack = await asyncio.gather(tick(h.services), h.driver.block_action(h.user(MINJI), Action.ACK, message=card))
        assert ack.ok
        await h.settle(limit=30)

        edits = [c for c in h.sandbox.calls_to("chat.update")[before:] if c.status == 200]
        closed = [i for i, c in enumerate(edits) if c.args["channel"] != HANA]
        cards = [i for i, c in enumerate(edits) if c.args["channel"] == HANA and c.args["ts"] == card.ts]
        assert len(closed) == N and cards
        assert cards[0] < closed[-N // 2], "the card's edit waited behind the background edits"
        assert "Hana BPO" in text_of(next(m for m in h.sandbox.channel_messages(HANA) if m.ts == card.ts))
        # at most a minute's budget (burst + rate) in any minute (at SCALE); two calls' slack for timing jitter
        window, most = 60 / SCALE, UPDATES_BURST + UPDATES_PER_MINUTE
        times = [c.time for c in edits]
        busiest = max(sum(1 for u in times if t <= u < t + window) for t in times)
        assert busiest <= most + 2, f"{busiest} edits in {window:.0f} s; Slack's limit allows 50 a minute"
    finally:
        await h.stop()
