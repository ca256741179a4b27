"""Demo scene: an escalation gets its Jira ticket, and work done in Jira shows up in the Slack thread."""

from __future__ import annotations

from typing import Any

from bot.jira import outbox, sync

SAM = "sam@acme.example"


async def scene(stage: Any) -> None:
    from sandbox.slack import text_of

    stage.title("Jira: the ticket follows the escalation, and Jira's answers come back to Slack")
    h = stage.h

    stage.narrate("Care-hana's org section maps P1/P2 escalations to tickets in the CARE project. Jira answers "
                  "503 to the first attempt: the escalation goes out anyway and the ticket follows.")
    before = set(h.jira.issues)  # earlier scenes' P1 already has its ticket
    h.jira.inject(503, path_contains="/issue", method="POST")
    await h.command(SAM, "/escalate", "P1 team:care-hana Refunds are not reaching customers' cards")
    await h.settle()
    await outbox.drain(h.services)
    card = h.sandbox.channel_messages("C0HANA")[-1]

    def thread() -> list[str]:
        return [text_of(m) for m in h.sandbox.channel_messages(card.channel, card.ts)]

    stage.screen("the team channel", "the escalation thread", "\n".join(thread()))
    stage.check(set(h.jira.issues) == before and any("Jira" in line for line in thread()),
                "Jira was down: the thread says the ticket is pending, nothing else waited")
    h.clock.advance(seconds=31)
    await outbox.tick(h.services)
    key = next(iter(set(h.jira.issues) - before), "")
    stage.narrate(f"Thirty seconds later the outbox retries: Jira creates {key}.")
    stage.check(len(set(h.jira.issues) - before) == 1 and any(key in line for line in thread()),
                f"exactly one ticket ({key}) and its link in the thread")
    stage.narrate("In Jira, Minji picks the ticket up and starts work. The 5-minute sync brings it back.")
    h.clock.advance(minutes=2)
    h.jira.set_assignee(key, "minji@hanabpo.example")
    h.jira.set_status(key, "In Progress")
    h.clock.advance(minutes=5)
    await sync.tick(h.services)
    await h.settle()
    stage.screen("the team channel", "the escalation thread", "\n".join(thread()[-1:]))
    stage.check(any("In Progress" in line for line in thread()), "the status change reached the Slack thread")
