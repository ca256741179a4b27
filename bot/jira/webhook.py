"""`POST /jira/webhook/<token>` (HTTP mode): Jira tells us at once that a linked issue changed.

Jira Cloud's ordinary webhooks are unsigned, so the secret is in the URL: a wrong token is a 404 and changes
nothing. A webhook is only a hint: it may come twice (deduped on `X-Atlassian-Webhook-Identifier`), late or
out of order, so the issue is re-read by key before anything is applied. Our own writes echo back as
webhooks whose `user` is OneTeam's Jira account; those are ignored. The poll remains the safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import or_, select

from bot.jira import outbox, sync
from bot.services import Services
from bot.settings import Settings, secret_value
from storage.ledger import first_time
from storage.models import JiraLink

log = logging.getLogger("oneteam.jira")
PATH = "/jira/webhook/{token}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def webhook_token(settings: Settings) -> str | None:
    """JIRA_WEBHOOK_TOKEN, else derived from ONETEAM_SECRET (stable across restarts and instances)."""
    explicit = secret_value(settings.jira_webhook_token)
    if explicit:
        return explicit
    secret = secret_value(settings.secret)
    if not secret:
        return None
    return hmac.new(secret.encode(), b"oneteam:jira-webhook", hashlib.sha256).hexdigest()[:40]


def webhook_path(settings: Settings) -> str | None:
    token = webhook_token(settings)
    return PATH.format(token=token) if token else None


def make_handler(services: Services) -> Handler:
    expected = webhook_token(services.settings) or ""

    async def handle(request: web.Request) -> web.StreamResponse:
        if not expected or not hmac.compare_digest(request.match_info.get("token", "").encode(), expected.encode()):
            return web.Response(status=404)
        try:
            body = json.loads(await request.read())
        except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, or nested too deep
            log.warning("malformed Jira webhook refused", extra={"reason": type(error).__name__})
            return web.Response(status=400)
        if not isinstance(body, dict) or any(not isinstance(body.get(k), dict | None) for k in ("issue", "user")):
            log.warning("malformed Jira webhook refused", extra={"reason": "not the shape of a webhook"})
            return web.Response(status=400)
        await accept(services, body, request.headers.get("X-Atlassian-Webhook-Identifier"))
        return web.json_response({"ok": True})

    return handle


async def accept(services: Services, body: dict[str, Any], delivery_id: str | None) -> str:
    """What was done with one webhook: duplicate | echo | unlinked | queued."""
    adapter = outbox.adapter_of(services)
    if delivery_id and not await first_time(services.sessions, f"jira-webhook:{delivery_id}", services.clock.now()):
        return "duplicate"
    user = body.get("user") or {}
    if adapter is not None and any(str(user.get(k)) in adapter.me for k in ("accountId", "name", "key") if user.get(k)):
        return "echo"
    issue = body.get("issue") or {}
    ids = [str(x) for x in (issue.get("id"),) if x]
    keys = [str(x).upper() for x in (issue.get("key"),) if x]
    if not ids and not keys:
        return "unlinked"
    async with services.sessions() as session:
        link_id = await session.scalar(select(JiraLink.id).where(
            or_(JiraLink.jira_id.in_(ids), JiraLink.jira_key.in_(keys))).limit(1))
    if link_id is None:
        return "unlinked"
    log.info("jira webhook", extra={"event": str(body.get("webhookEvent", ""))[:40], "link": link_id})
    outbox.spawn(services, _refresh(services, link_id))
    return "queued"


async def _refresh(services: Services, link_id: int) -> None:
    try:
        await sync.refresh(services, link_id)
    except Exception:  # the poll will pick the change up
        log.warning("webhook refresh failed; the poll will catch up", extra={"link": link_id})
