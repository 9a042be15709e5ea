"""Wiring: settings + database -> a Bolt AsyncApp with every listener registered."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SettingsError
from bot.kit.runtime import Deps, Stop, UserDirectory, build_turn
from bot.outbox import Outbox, Renderer
from bot.surface import RENDERERS, register
from flows.catalogue import load_catalogue
from flows.errors import CatalogueError
from flows.model import Catalogue
from storage.db import Database

log = logging.getLogger("casusbot")


WEB_API_TIMEOUT_SECONDS = 30  # slack_sdk's default per call, kept for the shared session


def make_client(
    settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client. Without `session` the SDK opens a new connection for every call (on
    Slack: a TLS handshake each time); the running bot passes one shared session."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def make_outbox_client(
    settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The outbox's Web API client: without slack_sdk's retry handlers. The outbox backs off
    itself (from the row's own count and Slack's Retry-After) and keeps its lease meanwhile;
    a handler sleeping inside a render would hold the row past its render timeout."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=[],
    )


def make_reminder_client(
    settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The reminder poller's client: it retries only a 429 (Slack did nothing). A lost answer
    or a 5xx is left to the poller, which looks for the message before it posts again — a
    client that re-sent the request itself could DM the same reminder twice."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


def shared_session(owner: Deps | list[Stop]) -> aiohttp.ClientSession | None:
    """One connection pool for Web API calls, closed when the bot stops (with `owner`'s stop
    hooks; calls after that fall back to a session per call). None outside an event loop,
    where aiohttp cannot make one."""
    on_stop = owner.on_stop if isinstance(owner, Deps) else owner
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT_SECONDS))
    on_stop.append(session.close)
    return session


def make_deps(settings: Settings, db: Database) -> Deps:
    """The dependencies, with the outbox and its renderers (bot/surface.py's RENDERERS, each
    given these dependencies). The outbox's poller starts with the bot (bot.server)."""
    on_stop: list[Stop] = []
    renderers: dict[str, Renderer] = {}
    client = make_outbox_client(settings, session=shared_session(on_stop))
    deps = Deps(
        settings=settings,
        db=db,
        users=UserDirectory(settings.language),
        catalogue=load_method(settings),
        outbox=Outbox(
            db,
            client,
            renderers,
            lease_seconds=settings.outbox_lease_seconds,
            poll_interval=settings.outbox_poll_seconds,
        ),
        on_stop=on_stop,
    )
    renderers.update({kind: functools.partial(draw, deps) for kind, draw in RENDERERS.items()})
    return deps


def load_method(settings: Settings) -> Catalogue:
    """The guideline's questions with the region's maatwerk; a bad file stops start-up."""
    try:
        return load_catalogue(settings.maatwerk_file)
    except CatalogueError as error:
        raise SettingsError("CASUSBOT_MAATWERK_FILE", str(error)) from None


def build_app(deps: Deps) -> AsyncApp:
    settings = deps.settings
    app = AsyncApp(
        client=make_client(settings, session=shared_session(deps.on_stop)),
        signing_secret=settings.slack_signing_secret or "",
        # Listeners commit, ack, and hand the Slack work to a task (bot.kit.wiring), so Bolt
        # can answer Slack as soon as the listener returns instead of polling for the ack.
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
        logger=logging.getLogger("casusbot.bolt"),
    )
    register(app, deps)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], client: AsyncWebClient
    ) -> BoltResponse:
        """Errors that escape before the ack: log with context, tell the user, answer 200."""
        ref = secrets.token_hex(4)
        log.error(
            "request failed before ack (ref=%s, type=%s)", ref, body.get("type"), exc_info=error
        )
        try:
            turn = build_turn(deps, client, body, None)
            await turn.settle_language()
            await turn.tell(turn.t("errors.generic", ref=ref))
        except Exception:
            log.exception("could not tell the user about failure ref=%s", ref)
        return BoltResponse(status=200, body="")

    return app
