"""views.* trigger and hash rules, App Home, and the files_upload_v2 flow."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackSandbox


async def test_views_open_uses_trigger_once(sandbox: SlackSandbox, client: AsyncWebClient, modal) -> None:
    trigger = sandbox.new_trigger_id("U0ALICE")
    opened = await client.views_open(trigger_id=trigger, view=modal("first"))
    assert opened["view"]["id"] and opened["view"]["hash"]
    assert [v["callback_id"] for v in sandbox.open_views("U0ALICE")] == ["first"]
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id=trigger, view=modal("again"))
    assert exc.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id="12345.bogus", view=modal())
    assert exc.value.response["error"] == "invalid_trigger_id"
    assert sandbox.open_views("U0BOB") == []


async def test_trigger_expires_after_three_seconds(sandbox: SlackSandbox, client: AsyncWebClient, tick,
                                                   modal) -> None:
    trigger = sandbox.new_trigger_id("U0BOB")
    tick.advance(3.5)
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id=trigger, view=modal())
    assert exc.value.response["error"] == "expired_trigger_id"
    assert sandbox.open_views("U0BOB") == []


async def test_views_update_hash_conflict_and_external_id(sandbox: SlackSandbox, client: AsyncWebClient,
                                                          modal) -> None:
    opened = await client.views_open(trigger_id=sandbox.new_trigger_id("U0ALICE"),
                                     view=modal("v1", external_id="ext-1"))
    view = opened["view"]
    updated = await client.views_update(view_id=view["id"], hash=view["hash"], view=modal("v2"))
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as exc:
        await client.views_update(view_id=view["id"], hash=view["hash"], view=modal("v3"))
    assert exc.value.response["error"] == "hash_conflict"
    assert sandbox.open_views("U0ALICE")[-1]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as exc:
        await client.views_update(view_id="V0NOPE", view=modal())
    assert exc.value.response["error"] == "view_not_found"


async def test_views_push_and_modal_limits(sandbox: SlackSandbox, client: AsyncWebClient, modal) -> None:
    root = await client.views_open(trigger_id=sandbox.new_trigger_id("U0ALICE"), view=modal("root"))
    pushed = await client.views_push(trigger_id=sandbox.new_trigger_id("U0ALICE"), view=modal("child"))
    assert pushed["view"]["previous_view_id"] == root["view"]["id"]
    assert [v["callback_id"] for v in sandbox.open_views("U0ALICE")] == ["root", "child"]
    with pytest.raises(SlackApiError) as exc:
        await client.views_open(trigger_id=sandbox.new_trigger_id("U0ALICE"),
                                view=modal(blocks=[{"type": "divider"}] * 101))
    assert exc.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as exc:
        long_title = {"type": "plain_text", "text": "x" * 25}
        await client.views_open(trigger_id=sandbox.new_trigger_id("U0ALICE"), view=modal(title=long_title))
    assert exc.value.response["error"] == "invalid_arguments"


async def test_views_publish_home(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}
    first = await client.views_publish(user_id="U0BOB", view=home)
    assert sandbox.home("U0BOB")["id"] == first["view"]["id"] and sandbox.home("U0ALICE") is None
    with pytest.raises(SlackApiError) as exc:
        await client.views_publish(user_id="U0BOB", view=home, hash="stale")
    assert exc.value.response["error"] == "hash_conflict"


async def test_files_upload_v2(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    resp = await client.files_upload_v2(channel="C0TEAM", content=b"week,kpi\n1,2\n", filename="kpi.csv",
                                        title="KPIs", initial_comment="Weekly KPIs")
    assert resp["file"]["title"] == "KPIs"
    [f] = sandbox.files()
    assert f["bytes"] == b"week,kpi\n1,2\n" and f["title"] == "KPIs" and f["channels"] == ["C0TEAM"]
    [msg] = sandbox.channel_messages("C0TEAM")
    assert msg.text == "Weekly KPIs" and msg.files[0]["id"] == f["id"]
    calls = [c.method for c in sandbox.calls]
    assert calls == ["files.getUploadURLExternal", "files.completeUploadExternal"]


async def test_complete_upload_without_bytes_fails(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    url = await client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as exc:
        await client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "a"}], channel_id="C0TEAM")
    assert exc.value.response["error"] == "file_not_found"
    assert sandbox.files() == []


async def test_view_submission_acks_update_push_clear(sandbox: SlackSandbox, client: AsyncWebClient,
                                                      modal) -> None:
    root = (await client.views_open(trigger_id=sandbox.new_trigger_id("U0ALICE"), view=modal("root")))["view"]
    sandbox.apply_view_ack("U0ALICE", root["id"], {"response_action": "update", "view": modal("step2")})
    [current] = sandbox.open_views("U0ALICE")
    assert current["id"] == root["id"] and current["callback_id"] == "step2" and current["hash"] != root["hash"]
    sandbox.apply_view_ack("U0ALICE", root["id"], {"response_action": "push", "view": modal("step3")})
    assert [v["callback_id"] for v in sandbox.open_views("U0ALICE")] == ["step2", "step3"]
    top = sandbox.open_views("U0ALICE")[-1]
    sandbox.apply_view_ack("U0ALICE", top["id"], None)  # empty ack closes the submitted view only
    assert [v["callback_id"] for v in sandbox.open_views("U0ALICE")] == ["step2"]
    sandbox.apply_view_ack("U0ALICE", root["id"], {"response_action": "clear"})
    assert sandbox.open_views("U0ALICE") == []


def test_text_of_flattens_blocks_and_views() -> None:
    from sandbox.slack import Message, text_of

    msg = Message(channel="C1", ts="1.0", text="fallback", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Owner* ada"}],
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "value": "secret-id"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "due Friday"}]},
        {"type": "rich_text", "elements": [{"type": "rich_text_section",
                                            "elements": [{"type": "text", "text": "rich bit"}]}]},
    ])
    flat = text_of(msg)
    for part in ("fallback", "Weekly digest", "*Owner* ada", "Open", "due Friday", "rich bit"):
        assert part in flat
    assert "secret-id" not in flat
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "Reason"},
                        "element": {"type": "plain_text_input"}}]}
    assert "Escalate" in text_of(view) and "Reason" in text_of(view)
