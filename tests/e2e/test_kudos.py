"""/kudos end to end: thanks across the line both ways, in the channel or privately, the message shortcut,
"Thank" on a resolved escalation, and every refusal answered clearly with nothing stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.digest.service import digest_for
from bot.escalations.ids import Action as EscAction
from bot.escalations.ids import Block as EscBlock
from bot.kpi.sources import Metrics
from bot.kudos.ids import WHERE_PRIVATE, Block, Shortcut, View
from bot.kudos.service import kudos_metrics
from sandbox.driver import SlackDriver
from sandbox.slack import Message, text_of
from storage.models import Kudos

HANA = "C0HANA"
SAM, PRIYA, MINJI, JISOO = "sam@acme.example", "priya@acme.example", "minji@hanabpo.example", "jisoo@hanabpo.example"
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"
LIVE = ("<!channel", "<!here", "<@U0X", "<https://evil")


def m(h, email: str) -> str:
    return f"<@{h.user(email)}>"


async def kudos(h, email: str, text: str, channel_id: str = HANA):
    ack = await h.command(email, "/kudos", text, channel_id=channel_id)
    await h.settle()
    return ack


async def count(h) -> int:
    async with h.services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Kudos)) or 0


def posts(h, channel: str = HANA) -> list[Message]:
    return [msg for msg in h.sandbox.channel_messages(channel) if "🙌" in text_of(msg)]


def last_answer(h, email: str) -> str:
    answers = h.sandbox.ephemerals(h.user(email))
    return text_of(answers[-1]) if answers else ""


async def test_kudos_cross_the_line_both_ways_in_the_team_channel(harness):
    h = harness
    await kudos(h, SAM, f"{m(h, MINJI)} {m(h, JISOO)} for clearing the refund backlog")
    await kudos(h, MINJI, f"{m(h, SAM)} 빠른 승인 감사합니다")
    channel = posts(h)
    assert len(channel) == 2
    assert h.user(MINJI) in text_of(channel[0]) and "refund backlog" in text_of(channel[0])
    assert "감사를 전합니다" in text_of(channel[0])  # the channel speaks the team's language (ko)
    assert "Thanks sent to 2 people" in last_answer(h, SAM)  # the giver's confirmation, in their language
    async with h.services.sessions() as session:
        figures = await kudos_metrics(session, 2, h.clock.now() - timedelta(days=1), h.clock.now() + timedelta(1))
    assert figures is not None
    assert (figures.internal_to_vendor, figures.vendor_to_internal) == (2, 1)
    assert figures.cross_side_balance == 0.5


async def test_every_refusal_is_answered_and_stores_nothing(harness):
    h = harness
    h.sandbox.add_user("U0STRANGER", "stranger", email="stranger@elsewhere.example")
    cases = [
        (SAM, f"{m(h, SAM)} for being me", "Thanking yourself does not count"),
        (SAM, f"<@{h.sandbox.bot_user_id}> for the reminders", "is a bot"),
        (SAM, "<@U0STRANGER> for the help", "is not in the organisation"),
        (SAM, f"{m(h, MINJI)}", "Say what the thanks are for"),
        (SAM, "thanks everyone", "Name the people you thank"),
        (MINJI, f"{m(h, MINJI)} 나에게", "자기 자신에게는 감사할 수 없습니다"),  # Korean for a Korean member
    ]
    for email, text, answer in cases:
        ack = await kudos(h, email, text)
        assert ack.status == 200
        assert answer in (text_of(ack.body) if isinstance(ack.body, dict) else "") + last_answer(h, email), text
    assert await count(h) == 0 and posts(h) == []


async def test_the_daily_limit_refuses_the_eleventh_thanks(harness):
    h = harness
    for n in range(10):
        await kudos(h, SAM, f"{m(h, MINJI)} thanks #{n}")
    assert await count(h) == 10
    await kudos(h, SAM, f"{m(h, JISOO)} one more")
    assert "today's limit of 10" in last_answer(h, SAM)
    assert await count(h) == 10 and len(posts(h)) == 10
    h.clock.advance(days=1)  # a new local day
    await kudos(h, SAM, f"{m(h, JISOO)} one more")
    assert await count(h) == 11


async def test_the_daily_limit_holds_when_thanks_arrive_at_once(harness):
    """Five /kudos at the same moment on two instances: the limit is taken atomically, not counted then written."""
    h = harness
    _, server = await h.add_instance()
    for n in range(8):
        await kudos(h, SAM, f"{m(h, MINJI)} thanks #{n}")
    async with SlackDriver(h.sandbox, bot_url=server.events_url) as other:
        acks = await asyncio.gather(*(driver.slash(h.user(SAM), "/kudos", f"{m(h, JISOO)} at once #{n}",
                                                   channel_id=HANA)
                                      for n, driver in enumerate((h.driver, other) * 2 + (h.driver,))))
        await h.settle()
    assert all(ack.status == 200 for ack in acks)
    assert await count(h) == 10 and len(posts(h)) == 10
    answers = [text_of(a) for a in h.sandbox.ephemerals(h.user(SAM))]
    assert sum("today's limit of 10" in a for a in answers) == 3


async def test_the_modal_sends_privately_and_refuses_in_the_modal(harness):
    h = harness
    sam = h.user(SAM)
    await kudos(h, SAM, "")
    view = h.sandbox.open_views(sam)[-1]
    assert view["callback_id"] == View.GIVE
    refused = await h.driver.submit_view(sam, view, inputs={Block.RECIPIENTS: [sam], Block.REASON: "me",
                                                            Block.WHERE: WHERE_PRIVATE})
    assert refused.body["response_action"] == "errors" and Block.RECIPIENTS in refused.body["errors"]
    done = await h.driver.submit_view(sam, view, inputs={Block.RECIPIENTS: [h.user(MINJI)], Block.REASON: HOSTILE,
                                                         Block.WHERE: WHERE_PRIVATE})
    await h.settle()
    assert done.status == 200 and posts(h) == []
    dm = [msg for msg in h.sandbox.dms(h.user(MINJI)) if "🙌" in text_of(msg)]
    assert len(dm) == 1 and "감사 인사를 보냈습니다" in text_of(dm[0])  # in Min-ji's own language
    shown = str(dm[0].blocks) + dm[0].text
    assert not any(token in shown for token in LIVE) and "&lt;!channel&gt;" in shown


async def test_say_thanks_for_this_message_prefills_its_author_and_links_it(harness):
    h = harness
    sam, minji = h.user(SAM), h.user(MINJI)
    message = h.sandbox.ws.post(HANA, text="Queue is clear again")
    message.user, message.bot_id = minji, None
    await h.driver.message_shortcut(sam, Shortcut.THANK_MESSAGE, message)
    await h.settle()
    view = h.sandbox.open_views(sam)[-1]
    users = next(b for b in view["blocks"] if b.get("block_id") == Block.RECIPIENTS)["element"]
    assert users["initial_users"] == [minji]
    await h.driver.submit_view(sam, view, inputs={Block.RECIPIENTS: [minji], Block.REASON: "clearing it"})
    await h.settle()
    posted = posts(h)
    assert len(posted) == 1 and message.ts.replace(".", "") in str(posted[0].blocks)  # the permalink


async def test_thank_on_a_resolved_escalation_thanks_its_resolvers(harness):
    h = harness
    minji, priya = h.user(MINJI), h.user(PRIYA)
    await h.command(PRIYA, "/escalate", "P1 care-hana Refund queue stuck")
    await h.settle()
    card = next(msg for msg in h.sandbox.channel_messages(HANA) if "ESC-1" in text_of(msg))
    await h.driver.block_action(minji, EscAction.RESOLVE, message=card)
    await h.settle()
    await h.driver.submit_view(minji, h.sandbox.open_views(minji)[-1], inputs={EscBlock.NOTE: "Restarted it"})
    await h.settle()
    card = next(msg for msg in h.sandbox.channel_messages(HANA) if "ESC-1" in text_of(msg))
    # The button names only the escalation: a tampered value cannot pick whom the modal thanks.
    await h.driver.block_action(priya, EscAction.THANK, message=card, value="1")
    await h.settle()
    view = h.sandbox.open_views(priya)[-1]
    users = next(b for b in view["blocks"] if b.get("block_id") == Block.RECIPIENTS)["element"]
    assert users["initial_users"] == [minji]
    await h.driver.submit_view(priya, view, inputs={Block.RECIPIENTS: [minji], Block.REASON: "Fast fix!"})
    await h.settle()
    assert len(posts(h)) == 1 and "Fast fix!" in text_of(posts(h)[0])


async def test_hostile_reason_is_shown_as_text(harness):
    h = harness
    await kudos(h, SAM, f"{m(h, MINJI)} {HOSTILE}")
    posted = posts(h)
    assert len(posted) == 1
    shown = str(posted[0].blocks) + posted[0].text
    assert not any(token in shown for token in LIVE)
    assert "&lt;https://evil.example|click&gt; &amp; *b*" in shown


async def test_home_shows_the_thanks_i_received_and_the_kpi_reads_the_balance(harness):
    h = harness
    await kudos(h, SAM, f"{m(h, MINJI)} for the night shift")
    await kudos(h, MINJI, f"{m(h, SAM)} for the quick approval")
    home = h.sandbox.home(h.user(MINJI))  # republished when the thanks arrived
    assert home is not None and "받은 감사 인사" in text_of(home) and "for the night shift" in text_of(home)
    async with h.services.sessions() as session:
        metrics = Metrics(session, 2, h.services.metrics)
        value = await metrics.source_value("kudos_cross_side_balance", h.clock.now() - timedelta(days=7),
                                           h.clock.now() + timedelta(hours=1))
    assert value == 100.0  # as many thanks each way


async def test_the_digest_shows_thanks_across_the_line_without_a_leaderboard(harness):
    h = harness
    await kudos(h, SAM, f"{m(h, MINJI)} {m(h, JISOO)} for the weekend cover")
    await kudos(h, MINJI, f"{m(h, SAM)} for the fast approvals")
    digest, _ = await digest_for(h.services, "care-hana", "2026-W47", locale="en")
    together = digest.section("together")
    assert together is not None
    shown = {item.label: item.value for item in together.items}
    assert shown["Thanks across the line"] == "2 to the vendor team, 1 to the internal team"
    assert shown["Cross-side kudos balance"] == "50%"
    assert any("for the weekend cover" in quote for quote in together.quotes)
