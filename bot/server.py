"""Run the bot: HTTP on /slack/events (plus /healthz), or Socket Mode when an app token is set.

Both modes serve /healthz so a process supervisor can tell the bot is alive, and both shut
down cleanly on SIGINT/SIGTERM: stop taking requests, finish running tasks, close the DB.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.admin.retention import schedule_retention
from bot.app import build_app, make_deps
from bot.config import Settings, SettingsError
from bot.edge import verified_request
from bot.kit.runtime import Deps
from bot.poller import start_scheduler
from storage.crypto import KeyConfigError, load_key_ring, set_active_key_ring
from storage.db import Database, make_engine
from storage.migrate import migrate

log = logging.getLogger("casusbot")

MAX_BODY_BYTES = 1024 * 1024  # Slack never sends more; refuse oversized bodies early


@web.middleware
async def log_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        took = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, status, took)


def build_web_app(app: AsyncApp, deps: Deps, *, slack_path: str | None) -> web.Application:
    web_app = web.Application(middlewares=[log_requests], client_max_size=MAX_BODY_BYTES)

    # Only HTTP mode serves slack_path, and HTTP mode requires the signing secret.
    verifier = SignatureVerifier(deps.settings.slack_signing_secret or "-") if slack_path else None

    async def slack_events(request: web.Request) -> web.Response:
        assert verifier is not None
        # Verified and well-formed before Bolt sees it: Bolt parses before it verifies.
        bolt_request = await verified_request(request, verifier)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        try:
            async with deps.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as error:
            log.error("health check: database unreachable: %s", type(error).__name__)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True, "database": "ok", "tasks": deps.tasks.busy})

    if slack_path:
        web_app.router.add_post(slack_path, slack_events)
    web_app.router.add_get("/healthz", health)
    return web_app


@dataclass
class RunningBot:
    """A started bot; `stop()` undoes `start_bot()` in reverse order."""

    deps: Deps
    app: AsyncApp
    runner: web.AppRunner
    port: int
    socket_handler: AsyncSocketModeHandler | None

    async def stop(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        await self.runner.cleanup()
        await self.deps.tasks.drain()
        for stop in self.deps.on_stop:
            await stop()
        await self.deps.db.dispose()


def activate_encryption(settings: Settings) -> None:
    """Free text is encrypted at rest; production refuses to start without a configured key."""
    try:
        ring = load_key_ring(
            env_value=settings.encryption_keys,
            data_dir=settings.data_dir,
            allow_generate=settings.environment == "development",
        )
    except KeyConfigError as error:
        raise SettingsError("CASUSBOT_ENCRYPTION_KEYS", str(error)) from None
    set_active_key_ring(ring)


async def start_bot(
    settings: Settings, *, host: str | None = None, port: int | None = None
) -> RunningBot:
    """Migrate, build and start the bot; returns once it accepts requests."""
    settings.require_slack()
    activate_encryption(settings)
    db = Database(make_engine(settings.database_url, schema=settings.database_schema))
    await migrate(db.engine)
    deps = make_deps(settings, db)
    app = build_app(deps)
    scheduler = start_scheduler(deps, app.client)
    schedule_retention(scheduler, deps, app.client)  # the daily purge, on the same scheduler
    web_app = build_web_app(app, deps, slack_path=None if settings.socket_mode else "/slack/events")
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.host, settings.port if port is None else port)
    await site.start()
    bound_port = runner.addresses[0][1]
    socket_handler = None
    if settings.socket_mode:
        socket_handler = AsyncSocketModeHandler(
            app, settings.slack_app_token, web_client=app.client
        )
        await socket_handler.connect_async()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on :{bound_port}/slack/events"
    log.info("Casusbot running (%s, Slack API %s)", mode, settings.slack_api_url)
    return RunningBot(deps, app, runner, bound_port, socket_handler)


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    bot = await start_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("Stopping Casusbot")
    await bot.stop()
