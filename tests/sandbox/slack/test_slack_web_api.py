"""The sandbox's Web API through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackSandbox, text_of


async def test_post_message_to_user_id_lands_in_dm(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="U0ALICE", text="hello",
                                          blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "ESC-1 due"}},
                                                  {"type": "actions", "elements": [
                                                      {"type": "button", "action_id": "ack",
                                                       "text": {"type": "plain_text", "text": "Acknowledge"}}]}])
    opened = await client.conversations_open(users="U0ALICE")
    assert first["channel"] == opened["channel"]["id"] and first["channel"].startswith("D")
    second = await client.chat_postMessage(channel=opened["channel"]["id"], text="again")
    assert float(second["ts"]) > float(first["ts"])
    dms = sandbox.dms("U0ALICE")
    assert [m.text for m in dms] == ["hello", "again"]
    assert "ESC-1 due" in text_of(dms[0]) and "Acknowledge" in text_of(dms[0])
    assert dms[0].user == sandbox.bot_user_id
    assert sandbox.dms("U0BOB") == []

    await client.chat_update(channel=first["channel"], ts=first["ts"], text="edited", blocks=[])
    assert sandbox.dms("U0ALICE")[0].text == "edited" and sandbox.dms("U0ALICE")[0].updated


async def test_thread_replies_and_channel_messages(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0TEAM", text="digest")
    await client.chat_postMessage(channel="C0TEAM", text="reply", thread_ts=parent["ts"])
    assert [m.text for m in sandbox.channel_messages("C0TEAM")] == ["digest"]
    assert [m.text for m in sandbox.channel_messages("C0TEAM", parent["ts"])] == ["reply"]
    link = await client.chat_getPermalink(channel="C0TEAM", message_ts=parent["ts"])
    assert "C0TEAM" in link["permalink"]


@pytest.mark.parametrize(("token", "method", "error"), [
    ("xoxb-wrong", "auth.test", "invalid_auth"),
    ("xapp-sandbox", "auth.test", "not_allowed_token_type"),
    ("xoxb-sandbox", "apps.connections.open", "not_allowed_token_type"),
])
async def test_auth_errors(sandbox: SlackSandbox, token: str, method: str, error: str) -> None:
    bad = AsyncWebClient(token=token, base_url=sandbox.base_url)
    with pytest.raises(SlackApiError) as exc:
        await bad.api_call(method)
    assert exc.value.response["error"] == error


async def test_missing_token_is_not_authed(sandbox: SlackSandbox) -> None:
    with pytest.raises(SlackApiError) as exc:
        await AsyncWebClient(base_url=sandbox.base_url).api_call("auth.test")
    assert exc.value.response["error"] == "not_authed"


async def test_auth_test_shape(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == sandbox.bot_user_id and resp["bot_id"] == sandbox.bot_id
    assert resp["team_id"] == "T0SANDBOX"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(("kwargs", "error"), [
    ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
    ({"channel": "U0NOBODY", "text": "x"}, "channel_not_found"),
    ({"channel": "C0TEAM"}, "no_text"),
    ({"channel": "C0TEAM", "text": "", "blocks": []}, "no_text"),
    ({"channel": "C0TEAM", "text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ({"channel": "C0TEAM", "text": "x", "blocks": [{"text": {"type": "mrkdwn", "text": "no type"}}]},
     "invalid_blocks"),
    ({"channel": "C0TEAM", "text": "x", "blocks": [{"type": "divider", "block_id": "a"},
                                                   {"type": "divider", "block_id": "a"}]}, "invalid_blocks"),
])
async def test_post_message_errors(client: AsyncWebClient, sandbox: SlackSandbox, kwargs: dict, error: str) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(**kwargs)
    assert exc.value.response["error"] == error
    assert sandbox.channel_messages("C0TEAM") == []


async def test_fifty_blocks_are_fine(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    await client.chat_postMessage(channel="C0TEAM", text="x", blocks=[{"type": "divider"}] * 50)
    assert len(sandbox.channel_messages("C0TEAM")[0].blocks) == 50


async def test_update_unknown_message(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel="C0TEAM", ts="1.000001", text="x")
    assert exc.value.response["error"] == "message_not_found"


async def test_users_list_paginates_with_short_pages(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    for i in range(10):
        sandbox.add_user(f"U1{i:04d}", f"user{i}")
    sizes, ids = [], []
    async for page in await client.users_list(limit=4):  # the SDK reuses one response object per page
        sizes.append(len(page["members"]))
        ids += [m["id"] for m in page["members"]]
    assert sizes[0] == 3 and len(sizes) == 4  # a short first page; the cursor still says there is more
    assert len(ids) == len(set(ids)) == 13  # 10 + alice + bob + the bot; the external user is not listed
    assert "U0VEND" not in ids


async def test_users_info_and_lookup(client: AsyncWebClient) -> None:
    info = await client.users_info(user="U0ALICE", include_locale=True)
    assert info["user"]["locale"] == "de-DE" and info["user"]["tz"] == "Europe/Berlin"
    assert info["user"]["tz_offset"] in (3600, 7200) and info["user"]["profile"]["email"] == "alice@example.com"
    assert "locale" not in (await client.users_info(user="U0ALICE"))["user"]
    ext = await client.users_info(user="U0VEND")
    assert ext["user"]["team_id"] == "T0VENDOR"
    found = await client.users_lookupByEmail(email="BOB@example.com")
    assert found["user"]["id"] == "U0BOB"
    with pytest.raises(SlackApiError) as exc:
        await client.users_lookupByEmail(email="nobody@example.com")
    assert exc.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError) as exc:
        await client.users_info(user="U0NOBODY")
    assert exc.value.response["error"] == "user_not_found"


async def test_history_metadata_and_pagination(client: AsyncWebClient) -> None:
    meta = {"event_type": "oneteam_prompt", "event_payload": {"id": "p-1"}}
    sent = await client.chat_postMessage(channel="U0BOB", text="prompt", metadata=meta)
    for i in range(3):
        await client.chat_postMessage(channel="U0BOB", text=f"m{i}")
    plain = await client.conversations_history(channel=sent["channel"], limit=10)
    assert all("metadata" not in m for m in plain["messages"])
    texts, cursor, found = [], None, None
    while True:
        page = await client.conversations_history(channel=sent["channel"], limit=3, cursor=cursor,
                                                  include_all_metadata=True)
        texts += [m["text"] for m in page["messages"]]
        found = found or next((m for m in page["messages"] if "metadata" in m), None)
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == ["m2", "m1", "m0", "prompt"]  # newest first
    assert found is not None and found["metadata"] == meta


async def test_unknown_method_and_missing_argument(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("chat.doesNotExist")
    assert exc.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("users.info", params={})
    assert exc.value.response["error"] == "invalid_arguments"


async def test_form_and_query_arguments_merge(sandbox: SlackSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        form = {"token": sandbox.bot_token, "channel": "C0TEAM",
                "blocks": '[{"type": "section", "text": {"type": "mrkdwn", "text": "from form"}}]'}
        async with http.post(sandbox.base_url + "chat.postMessage?text=from+query", data=form) as resp:
            body = await resp.json()
    assert body["ok"] is True and body["message"]["blocks"][0]["text"]["text"] == "from form"
    assert sandbox.channel_messages("C0TEAM")[0].text == "from query"
    assert sandbox.calls[-1].method == "chat.postMessage" and "token" not in sandbox.calls[-1].args


async def test_post_ephemeral(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    await client.chat_postEphemeral(channel="C0TEAM", user="U0ALICE", text="only you")
    assert [m.text for m in sandbox.ephemerals("U0ALICE")] == ["only you"]
    assert sandbox.ephemerals("U0ALICE")[0].ephemeral and sandbox.ephemerals("U0BOB") == []
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postEphemeral(channel="C0TEAM", user="U0VEND", text="x")
    assert exc.value.response["error"] == "user_not_in_channel"


async def test_replies_list_a_thread_oldest_first_with_metadata(client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0TEAM", text="summary")
    meta = {"event_type": "oneteam_delivery", "event_payload": {"key": "r-1"}}
    first = await client.chat_postMessage(channel="C0TEAM", text="r0", thread_ts=parent["ts"], metadata=meta)
    for i in range(1, 4):
        await client.chat_postMessage(channel="C0TEAM", text=f"r{i}", thread_ts=parent["ts"])
    await client.chat_postMessage(channel="C0TEAM", text="elsewhere")
    plain = await client.conversations_replies(channel="C0TEAM", ts=parent["ts"])
    assert [m["text"] for m in plain["messages"]] == ["summary", "r0", "r1", "r2", "r3"]
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][0]["reply_count"] == 4 and plain["messages"][1]["thread_ts"] == parent["ts"]
    texts, cursor, found = [], None, None
    while True:
        page = await client.conversations_replies(channel="C0TEAM", ts=parent["ts"], limit=2, cursor=cursor,
                                                  include_all_metadata=True)
        texts += [m["text"] for m in page["messages"]]
        found = found or next((m for m in page["messages"] if "metadata" in m), None)
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert texts == ["summary", "r0", "r1", "r2", "r3"]
    assert found is not None and found["ts"] == first["ts"] and found["metadata"] == meta
    # a reply's ts names the same thread; an unknown ts is an error
    via_reply = await client.conversations_replies(channel="C0TEAM", ts=first["ts"])
    assert [m["text"] for m in via_reply["messages"]][:2] == ["summary", "r0"]
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_replies(channel="C0TEAM", ts="1.000001")
    assert exc.value.response["error"] == "thread_not_found"


async def test_a_profile_change_updates_the_user_and_yields_slacks_user_change_event(
        sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    event = sandbox.change_user("U0ALICE", tz="Asia/Seoul", locale="ko-KR")
    assert event["type"] == "user_change" and isinstance(event["cache_ts"], int)
    user = event["user"]
    assert (user["id"], user["tz"], user["tz_offset"], user["locale"]) == ("U0ALICE", "Asia/Seoul", 32400, "ko-KR")
    assert user["profile"]["email"] == "alice@example.com" and user["team_id"] == sandbox.team_id
    info = await client.users_info(user="U0ALICE", include_locale=True)
    assert (info["user"]["tz"], info["user"]["locale"]) == ("Asia/Seoul", "ko-KR")
    with pytest.raises(ValueError):
        sandbox.change_user("U0ALICE", timezone="Asia/Seoul")  # not a field Slack has
