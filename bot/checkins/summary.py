"""The team summary: one parent message per round in the team channel, each member's answers in its thread;
and the "thanks" edit of each answered prompt DM.

The parent is posted once (deliver_once) and then edited as answers come in; a member's reply is posted
once and edited when they edit their answers.

A burst of answers (a 5,000-person org answers within minutes) must not cost work in proportion to the
team for each answer, nor queue one Slack call per answer behind `chat.update`'s limit (Tier 3, 50 a
minute, shared with every other edit the bot makes). So an answer only marks what it changed, and
`SummaryUpdates` brings Slack up to date in the background, behind the acks (`AckGate`):
- a stale parent is re-rendered from the round's counts (one aggregate query, no prompts loaded) when its
  turn comes: at most one pending update per round, showing the latest state;
- replies are posted per round, in order, taking their turns in the channel (`ChannelPacer`: about 1 a
  second) and below the workspace's cap (`Pacer`);
- edits (the parent first, then edited replies, then the prompt DMs' "thanks") go one at a time, as
  background edits of the bot's one `chat.update` budget (`update_message`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update

from bot.checkins import blocks
from bot.checkins.service import local_text, member_t, round_questions
from bot.delivery import deliver_once
from bot.pacing import Pacer, update_message
from bot.services import Services
from storage.models import CheckinPrompt, CheckinRound, Member, Team
from storage.rows import existing

log = logging.getLogger("oneteam.checkins")
NOT_COUNTED = ("skipped", "away", "failed")
# chat.postMessage: about 1 a second per channel (each round's poster is serial) and a workspace cap of
# several hundred a minute (the sandbox: 600), shared with prompts and DMs.
REPLIES_PER_MINUTE = 480
REPLIES_BURST = 20
EXTRA_KEY = "checkins.summary"


@dataclass(frozen=True)
class Counts:
    """What the parent message shows, counted in the database."""

    answered: int
    expected: int
    mood: float | None


async def round_counts(services: Services, round_id: int) -> Counts:
    """One aggregate over the round's prompts: a few rows (one per state), whatever the team's size."""
    async with services.sessions() as session:
        rows = (await session.execute(
            select(CheckinPrompt.state, func.count(), func.count(CheckinPrompt.mood), func.sum(CheckinPrompt.mood))
            .where(CheckinPrompt.round_id == round_id).group_by(CheckinPrompt.state))).all()
    counted = [(state, n, moods, total) for state, n, moods, total in rows if state not in NOT_COUNTED]
    answered = next(((n, moods, total) for state, n, moods, total in counted if state == "answered"), (0, 0, None))
    return Counts(answered=answered[0], expected=sum(n for _s, n, _m, _t in counted),
                  mood=float(answered[2]) / answered[1] if answered[1] and answered[2] is not None else None)


def summary_updates(services: Services) -> SummaryUpdates:
    """The process's one `SummaryUpdates` (kept with the services, like the other per-process helpers)."""
    found = services.extras.get(EXTRA_KEY)
    if not isinstance(found, SummaryUpdates):
        found = services.extras[EXTRA_KEY] = SummaryUpdates(services)
    return found


async def refresh_summary(services: Services, round_id: int, answer_of: int | None = None) -> None:
    """Marks the round's parent message (and, with `answer_of`, that prompt's reply) out of date; the
    background updater brings Slack up to date."""
    summary_updates(services).request(round_id, answer_of)


class SummaryUpdates:
    """Coalesced, paced Slack traffic of the check-in answers (see the module's docstring)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        scale = services.settings.slack_rate_scale
        self.reply_pacer = Pacer(REPLIES_PER_MINUTE * scale, REPLIES_BURST)
        self.parents: dict[int, None] = {}  # rounds whose parent is out of date (insertion-ordered set)
        self.replies: dict[int, dict[int, None]] = {}  # round -> prompts whose reply is to be posted or edited
        self.edits: dict[int, None] = {}  # prompts whose posted reply is out of date
        self.thanks: dict[int, None] = {}  # prompts whose DM is to say "answered"
        self._editor: asyncio.Task | None = None
        self._posters: dict[int, asyncio.Task] = {}

    def request(self, round_id: int, answer_of: int | None = None, *, thank: bool = False) -> None:
        self.parents[round_id] = None
        if answer_of is not None:
            self.replies.setdefault(round_id, {})[answer_of] = None
            if thank:
                self.thanks[answer_of] = None
            self._post(round_id)
        self._edit()

    def _edit(self) -> None:
        if self._editor is None or self._editor.done():
            self._editor = self.services.spawn(self._edit_all(), "checkin-summary-edits")

    def _post(self, round_id: int) -> None:
        task = self._posters.get(round_id)
        if task is None or task.done():
            self._posters[round_id] = self.services.spawn(self._post_all(round_id), "checkin-summary-replies")

    async def _edit_all(self) -> None:
        while self.parents or self.edits or self.thanks:
            await self.services.acks.quiet()  # people waiting for an ack go first
            try:
                if self.parents:
                    round_id = next(iter(self.parents))
                    del self.parents[round_id]
                    await self._update_parent(round_id)
                elif self.edits:
                    prompt_id = next(iter(self.edits))
                    del self.edits[prompt_id]
                    await self._edit_reply(prompt_id)
                else:
                    prompt_id = next(iter(self.thanks))
                    del self.thanks[prompt_id]
                    await self._thank(prompt_id)
            except Exception:
                log.warning("check-in summary not updated", exc_info=True)

    async def _post_all(self, round_id: int) -> None:
        """Posts the parent if it is not there yet, then the round's pending replies, in order, each when the
        channel's turn comes (sooner, it would wait out a 429)."""
        while True:
            await self.services.acks.quiet()  # people waiting for an ack go first
            try:
                parent_ts = await self._parent_ts(round_id)
            except Exception:  # the replies stay pending: the next answer tries again
                log.warning("check-in summary not posted", extra={"round_id": round_id}, exc_info=True)
                return
            pending = self.replies.get(round_id)
            if parent_ts is None or not pending:
                break
            prompt_id = next(iter(pending))
            del pending[prompt_id]
            try:
                await self._reply(round_id, parent_ts, prompt_id)
            except Exception:
                log.warning("check-in summary reply not posted", extra={"round_id": round_id}, exc_info=True)
        self.replies.pop(round_id, None)

    async def _round(self, round_id: int) -> tuple[CheckinRound, Team] | None:
        async with self.services.sessions() as session:
            rnd = await session.get(CheckinRound, round_id)
            if rnd is None or not rnd.summary_channel:
                return None
            return rnd, await existing(session, Team, rnd.team_id)

    async def _parent(self, rnd: CheckinRound, team: Team) -> blocks.bk.Rendered:
        counts = await round_counts(self.services, rnd.id)
        return blocks.summary_parent(self.services.t(team.locale), team=team.name, week=rnd.week,
                                     answered_count=counts.answered, expected=counts.expected, mood=counts.mood,
                                     is_closed=rnd.state == "closed")

    async def _parent_ts(self, round_id: int) -> str | None:
        """The parent's ts, posting it first if need be; None when the round has no summary (or another
        instance is posting it: the next answer brings it up to date)."""
        found = await self._round(round_id)
        if found is None:
            return None
        rnd, team = found
        if rnd.summary_ts is not None:
            return rnd.summary_ts
        assert rnd.summary_channel is not None  # checked by _round
        parent = await self._parent(rnd, team)
        sent = await deliver_once(self.services, f"checkin:summary:{round_id}", rnd.summary_channel,
                                  text=parent.text, blocks=parent.blocks)
        if sent is None:
            return None
        async with self.services.sessions.begin() as session:
            await session.execute(update(CheckinRound).where(CheckinRound.id == round_id).values(summary_ts=sent.ts))
        if not sent.fresh:  # found after a crash: bring it up to date
            self.parents[round_id] = None
            self._edit()
        return sent.ts

    async def _update_parent(self, round_id: int) -> None:
        found = await self._round(round_id)
        if found is None:
            return
        rnd, team = found
        if rnd.summary_ts is None:  # not posted yet: the round's poster posts it, with the counts of then
            self._post(round_id)
            return
        parent = await self._parent(rnd, team)
        await update_message(self.services, rnd.summary_channel or "", rnd.summary_ts, parent, background=True)

    async def _reply_message(self, prompt_id: int) -> tuple[CheckinPrompt, CheckinRound, blocks.bk.Rendered] | None:
        async with self.services.sessions() as session:
            prompt = await existing(session, CheckinPrompt, prompt_id)
            rnd = await existing(session, CheckinRound, prompt.round_id)
            team = await existing(session, Team, rnd.team_id)
            member = await existing(session, Member, prompt.member_id)
        if prompt.state != "answered" or not prompt.answers or rnd.summary_channel is None:
            return None
        return prompt, rnd, blocks.summary_reply(self.services.t(team.locale), member=member.name,
                                                 questions=round_questions(rnd), answers=prompt.answers,
                                                 edited=prompt.edited_at is not None)

    async def _reply(self, round_id: int, parent_ts: str, prompt_id: int) -> None:
        found = await self._reply_message(prompt_id)
        if found is None:
            return
        prompt, rnd, msg = found
        assert rnd.summary_channel is not None  # checked by _reply_message
        if prompt.summary_ts:  # posted before: an edit, paced with the other edits
            self.edits[prompt_id] = None
            self._edit()
            return
        await self.reply_pacer.wait()
        sent = await deliver_once(self.services, f"checkin:summary:{round_id}:{prompt.member_id}",
                                  rnd.summary_channel, text=msg.text, blocks=msg.blocks, thread_ts=parent_ts)
        if sent is not None:
            async with self.services.sessions.begin() as session:
                await session.execute(update(CheckinPrompt).where(CheckinPrompt.id == prompt_id)
                                      .values(summary_ts=sent.ts))
            if not sent.fresh:  # found after a crash: it may show answers from before an edit
                self.edits[prompt_id] = None
                self._edit()

    async def _edit_reply(self, prompt_id: int) -> None:
        found = await self._reply_message(prompt_id)
        if found is None:
            return
        prompt, rnd, msg = found
        if prompt.summary_ts and rnd.summary_channel:
            await update_message(self.services, rnd.summary_channel, prompt.summary_ts, msg, background=True)

    async def _thank(self, prompt_id: int) -> None:
        """The prompt DM now says the answer is in, with a button to edit it."""
        async with self.services.sessions() as session:
            prompt = await existing(session, CheckinPrompt, prompt_id)
            rnd = await existing(session, CheckinRound, prompt.round_id)
            team = await existing(session, Team, rnd.team_id)
            member = await existing(session, Member, prompt.member_id)
        if not prompt.message_ts or not prompt.message_channel:
            return
        t = member_t(self.services, member, team)
        msg = blocks.answered(t, team=team.name, week=rnd.week, closes=local_text(t, rnd.closes_at, prompt.timezone),
                              round_id=rnd.id)
        await update_message(self.services, prompt.message_channel, prompt.message_ts, msg, background=True)
