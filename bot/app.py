"""Builds the one AsyncApp that both HTTP mode and Socket Mode serve."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import delete, or_

from bot.bolt_internals import wrap_listeners
from bot.caller import LocaleCache, caller_t
from bot.errors import UserFacingError
from bot.i18n import Translator, translator
from bot.reply import tell_privately
from bot.services import AckGate, Services
from bot.settings import secret_value
from storage.ledger import Claim, first_time
from storage.models import HandledDelivery

log = logging.getLogger("oneteam.app")
LEDGER_KEEP = timedelta(days=2)  # Slack stops retrying an event after about an hour; signatures last 5 minutes


def build_app(services: Services, *, register: Callable[[AsyncApp], None] | None = None) -> AsyncApp:
    """The Slack app with OneTeam's middleware, error handler and every feature's listeners."""
    settings = services.settings
    app = AsyncApp(
        client=services.slack,
        signing_secret=secret_value(settings.slack_signing_secret) or "",
        # Socket Mode requests are not signed; HTTP requests must be.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        logger=BOLT_LOG,
        authorize=_authorize(services),
    )
    app.use(HandledOnce(services))
    app.use(WithServices(services))
    app.error(_on_error)
    if register is None:
        from handlers import register_all

        register = register_all
    register(app)
    guard_listeners(app)
    return app


GUARD_ARGS = frozenset({"ack", "body", "context"})  # what the guard itself needs besides the listener's own
SELF_CLAIMING = "replay"  # the argument by which a view listener says it claims its submission itself


class _SameToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment beside the client it is given, and warns that the token
    goes unused (once for the client, once for `authorize`); the client and `_authorize` hand out that very
    token, so the warnings would only puzzle an operator at every start."""

    UNUSED_TOKEN = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.UNUSED_TOKEN


BOLT_LOG = logging.getLogger("oneteam.bolt")
BOLT_LOG.addFilter(_SameToken())


def _authorize(services: Services) -> Callable[..., Awaitable[AuthorizeResult]]:
    """What Bolt's single-workspace authorization does (the bot token, described by auth.test), with the
    auth.test answer read once per process (`BotIdentity`) instead of once per request until one answered."""

    async def authorize(user_id: str | None) -> AuthorizeResult:
        me = await services.identity.read()
        return AuthorizeResult(enterprise_id=me.get("enterprise_id"), team_id=me.get("team_id"),
                               bot_id=me.get("bot_id"), bot_user_id=me.get("user_id"),
                               bot_token=services.slack.token, user_id=user_id,
                               bot_scopes=me.headers.get("x-oauth-scopes"))

    return authorize


def guard_listeners(app: AsyncApp) -> None:
    """Listeners must not raise: when one raises just after `ack()`, Bolt's runner resets the ack it already
    sent and the person's reply is lost after a 3 s wait. So each listener's errors are reported here."""
    wrap_listeners(app, _guarded, GUARD_ARGS)


def _then_yield(ack: Callable[..., Awaitable[None]], services: Services) -> Callable[..., Awaitable[None]]:
    """The listener's `ack`, after which its remaining work lets other waiting acks go first."""

    async def ack_first(*args: Any, **kwargs: Any) -> None:
        await ack(*args, **kwargs)
        await services.acks.quiet()

    return ack_first


def _guarded(func: Callable[..., Awaitable[Any]], wanted: frozenset[str]) -> Callable[..., Awaitable[None]]:
    async def guarded(**given: Any) -> None:
        body, context = given["body"], given["context"]
        if given.get("ack") is not None and "services" in context and not isinstance(given["ack"], ClaimingAck):
            given["ack"] = _then_yield(given["ack"], context["services"])
        if SELF_CLAIMING not in wanted and not await _claimed_for(context):
            await given["ack"]()
            return
        try:
            await func(**{k: v for k, v in given.items() if k in wanted})
        except Exception as error:
            await _on_error(error, body, context)

    guarded.__name__ = getattr(func, "__name__", "listener")  # Bolt's logs name the listener
    return guarded


async def _claimed_for(context: AsyncBoltContext) -> bool:
    """For a listener that does not claim its view submission itself (`SELF_CLAIMING`): the claim, in a
    transaction of its own, and the caller's language (`t`), both before it runs. False for a replay."""
    replay: Claim | None = context.get(SELF_CLAIMING)
    if replay is not None:
        services: Services = context["services"]
        if not await first_time(services.sessions, replay.key, replay.at):
            log.info("request already handled; dropped", extra={"ledger": replay.key.split(":")[0]})
            return False
    if "t" not in context:
        await caller_t(context)
    return True


def ledger_key(body: dict[str, Any]) -> str | None:
    """What makes a request the same request again: an event's `event_id`; a slash command's or a view
    submission's `trigger_id` (Slack makes a new one for every command typed and every submit)."""
    kind = body.get("type")
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if kind == "view_submission":
        view = body.get("view") or {}
        if body.get("trigger_id"):
            return f"view:{body['trigger_id']}"
        return f"view:{view.get('id')}:{view.get('hash')}" if view.get("id") and view.get("hash") else None
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    return None


LEDGER_PREFIXES = ("event:", "command:", "view:")  # other features keep their own keys in the same table


async def purge_ledger(services: Services) -> int:
    """Forgets requests older than `LEDGER_KEEP` (no retry or replay can still arrive); returns how many."""
    cutoff = services.clock.now() - LEDGER_KEEP
    async with services.sessions.begin() as session:
        result = await session.execute(delete(HandledDelivery).where(
            HandledDelivery.handled_at < cutoff, or_(*(HandledDelivery.key.startswith(p) for p in LEDGER_PREFIXES)))
            .returning(HandledDelivery.key))
        return len(result.all())


class Replayed(Exception):
    """A slash command seen before: its listener stops right after its ack, having changed nothing."""


class ClaimingAck(AsyncAck):
    """A slash command's ack that claims the command in the ledger once the answer is set: the answer
    leaves at once, and the database write waits, like all work after an ack, until the acks still waiting
    have gone (`AckGate`). A replay stops the listener there; every command listener acks before it
    changes anything, so a replay changes nothing. The listener's work then waits for the acks that came in
    meanwhile, within what is left of the one `max_wait` (it is not wrapped in `_then_yield` as well: two
    full waits in a row held the work up to 2 x `max_wait` under steady load)."""

    def __init__(self, claim: Callable[[], Awaitable[bool]], acks: AckGate) -> None:
        super().__init__()
        self.claim, self.acks = claim, acks

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        answer = await super().__call__(*args, **kwargs)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.acks.max_wait
        await self.acks.quiet()
        if not await self.claim():
            raise Replayed()
        await self.acks.quiet(deadline - loop.time())
        return answer


class HandledOnce(AsyncMiddleware):
    """Slack retries an event it thinks we missed, and may deliver it to another instance; a captured
    signed command or view submission can be replayed within the signature's 5 minutes. The first
    delivery claims its key in the ledger (in the database, so across instances); the others run nothing.
    Events are claimed before anything runs and a repeat is answered 200 with an empty body; a slash
    command is claimed right after its ack (`ClaimingAck`), which keeps the write off the ack path. A view
    submission's listener may save before it acks: its claim (`Claim`, in the context as `replay`) is made
    in the transaction that saves, when the listener takes `replay` (so the ack waits for one write, and the
    claim and the save commit or roll back together), or else just before the listener runs (`_guarded`).

    (A class, not a function: Bolt builds every injectable argument for function middleware, on every
    request.)"""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        key = ledger_key(req.body)
        if key is None:
            return await next()
        if key.startswith("command:"):
            req.context["ack"] = ClaimingAck(lambda: self.claim(key), self.services.acks)
            return await next()
        if key.startswith("view:"):
            req.context[SELF_CLAIMING] = Claim(key, self.services.clock.now())
            return await next()
        if not await self.claim(key):
            return BoltResponse(status=200, body="")
        return await next()

    async def claim(self, key: str) -> bool:
        """True for the first delivery of `key`, in any instance."""
        if not await first_time(self.services.sessions, key, self.services.clock.now()):
            log.info("request already handled; dropped", extra={"ledger": key.split(":")[0]})
            return False
        return True


class WithServices(AsyncMiddleware):
    """Puts `services` and the caller's translator (`t`) in the context; `bot.caller.caller(context)`
    reads their org record when a listener needs it. A view submission's `t` is looked up only when
    cached: its listener may read the caller's record in its own transaction anyway (`_claimed_for`
    looks it up for the others, `bot.caller.caller_t` when it is needed)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.locales = LocaleCache()

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        context = req.context
        context["services"] = self.services
        context["locales"] = self.locales
        user_id = context.user_id
        if not user_id:
            context["t"] = translator()
        elif req.body.get("type") != "view_submission":
            context["t"] = translator(*await self.locales.get(self.services, user_id))
        elif (cached := self.locales.peek(user_id)) is not None:
            context["t"] = translator(*cached)
        return await next()


async def _on_error(error: Exception, body: dict, context: AsyncBoltContext) -> None:
    """One place turns a failure into a polite, ephemeral answer; stack traces stay in the log."""
    if isinstance(error, Replayed):
        return  # answered as the first time by its ack; the ledger line says it was dropped
    t: Translator = await caller_t(context)
    if isinstance(error, UserFacingError):
        text = t(error.key, **error.params)
    else:
        log.error("listener failed", exc_info=error,
                  extra={"request_type": body.get("type") or "slash_command", "user_id": context.user_id})
        text = t("core.errors.generic")
    await tell_privately(context, body, text)

