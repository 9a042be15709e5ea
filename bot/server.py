"""Run the bot: HTTP on /slack/events, or Socket Mode when an app token is set.

Both modes serve `/healthz` (liveness: the process answers; never touches the database, so a
hanging database cannot make a supervisor kill a bot that would recover by itself) and
`/readyz` (readiness: 503 within READY_TIMEOUT_SECONDS when the database does not answer or
the Socket Mode connection is down). Both shut down cleanly on SIGINT/SIGTERM: stop taking
requests, let running work finish, and only then close the database.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.admin.retention import schedule_retention
from bot.app import build_app, make_deps, make_reminder_client, shared_session
from bot.config import Settings, SettingsError
from bot.edge import GuardedSocketModeHandler, verified_request
from bot.kit.runtime import Deps
from bot.poller import start_scheduler
from storage.crypto import KeyConfigError, load_key_ring, set_active_key_ring
from storage.db import Database, DbTimeouts, make_engine
from storage.migrate import migrate

log = logging.getLogger("casusbot")

MAX_BODY_BYTES = 1024 * 1024  # Slack never sends more; refuse oversized bodies early
# /readyz answers within this, whatever the database does (probes of Kubernetes and most load
# balancers give up after 1-2 s).
READY_TIMEOUT_SECONDS = 1.5
# Migrations may wait for another process's migration (an advisory lock) and rewrite tables:
# only they get this long per statement.
MIGRATION_STATEMENT_SECONDS = 600.0


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


class Readiness:
    """Whether this process can do its work now: the database answers and, in Socket Mode,
    the connection to Slack is up. Each check is bounded by READY_TIMEOUT_SECONDS."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.socket: GuardedSocketModeHandler | None = None
        self.stopping = False
        self._probe: asyncio.Task[None] | None = None
        self._abandoned: set[asyncio.Task[None]] = set()
        self._last_ready: bool | None = None

    async def check(self) -> dict[str, str]:
        """What is not ready, by component; empty when ready."""
        if self.stopping:
            return {"process": "stopping"}
        problems: dict[str, str] = {}
        database = await self._database()
        if database != "ok":
            problems["database"] = database
        if self.socket is not None and not await self.socket.client.is_connected():
            problems["slack"] = "disconnected"
        ready = not problems
        if ready != self._last_ready:  # log changes, not every probe
            log.log(
                logging.INFO if ready else logging.WARNING,
                "readiness: %s",
                "ready" if ready else ", ".join(f"{k} {v}" for k, v in problems.items()),
            )
            self._last_ready = ready
        return problems

    async def _database(self) -> str:
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._select_one())
        probe = self._probe
        done, _ = await asyncio.wait({probe}, timeout=READY_TIMEOUT_SECONDS)
        if not done:
            # Give up on it without waiting for its clean-up (which may itself hang); the
            # cancelled connection is thrown away by the pool.
            probe.cancel()
            self._abandoned.add(probe)
            probe.add_done_callback(self._abandoned.discard)
            self._probe = None
            return "timeout"
        if probe.cancelled():  # another check gave up on this probe first
            return "timeout"
        error = probe.exception()
        if error is not None:
            log.debug("readiness: database probe failed: %s", type(error).__name__)
            return "unreachable"
        return "ok"

    async def _select_one(self) -> None:
        async with self.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def build_web_app(
    app: AsyncApp, deps: Deps, *, slack_path: str | None, readiness: Readiness | None = None
) -> web.Application:
    web_app = web.Application(middlewares=[log_requests], client_max_size=MAX_BODY_BYTES)
    readiness = readiness or Readiness(deps.db)

    # Only HTTP mode serves slack_path, and HTTP mode requires the signing secret.
    verifier = SignatureVerifier(deps.settings.slack_signing_secret or "-") if slack_path else None

    async def slack_events(request: web.Request) -> web.Response:
        if verifier is None:
            return web.Response(status=404)
        # Verified and well-formed before Bolt sees it: Bolt parses before it verifies.
        bolt_request = await verified_request(request, verifier)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        try:
            bolt_response = await app.async_dispatch(bolt_request)
        except Exception:
            # Listeners' errors end in the app's error handler; this is Bolt failing on a
            # verified body before any listener ran. Slack gets a 4xx, never a 500.
            ref = secrets.token_hex(4)
            log.exception("Bolt failed on a verified request (ref=%s)", ref)
            return web.Response(status=400, text=f"could not process (ref {ref})")
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        """Liveness: answers at once, whatever the database does."""
        # `tasks`: all work still running here (followups and renders); `outbox`: renders.
        return web.json_response({"ok": True, "tasks": deps.busy, "outbox": deps.outbox.busy})

    async def ready(_request: web.Request) -> web.Response:
        problems = await readiness.check()
        body = {"ready": not problems, **problems}
        return web.json_response(body, status=503 if problems else 200)

    if slack_path:
        web_app.router.add_post(slack_path, slack_events)
    web_app.router.add_get("/healthz", health)
    web_app.router.add_get("/readyz", ready)
    return web_app


@dataclass
class RunningBot:
    """A started bot; `stop()` undoes `start_bot()` in reverse order."""

    deps: Deps
    app: AsyncApp
    runner: web.AppRunner
    port: int
    socket_handler: GuardedSocketModeHandler | None
    readiness: Readiness
    scheduler: AsyncIOScheduler | None = None

    async def stop(self) -> None:
        """Stop taking requests, let running work finish (up to CASUSBOT_SHUTDOWN_SECONDS),
        then close what the work used: the Slack session last but one, the database last."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deps.settings.shutdown_seconds
        self.readiness.stopping = True
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        await self.runner.cleanup()  # in-flight HTTP requests are answered first
        # The reminder round in progress and the handlers' tasks finish side by side.
        await asyncio.gather(self._stop_reminders(deadline), self._drain(deadline))
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # Renders still running finish (or their leases run out and another replica, or the
        # next start, takes them over: the rows are in the database either way).
        await self.deps.outbox.stop(grace=max(deadline - loop.time(), 0.0))
        for stop in reversed(self.deps.on_stop):
            await stop()
        await self._drain(deadline)  # anything the stop hooks started
        if self.deps.tasks.busy:
            log.error(
                "%d tasks still running after %.0f s of shutdown; they end with the process",
                self.deps.tasks.busy,
                self.deps.settings.shutdown_seconds,
            )
        await self.deps.db.dispose()

    async def _drain(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        # A task may start another (a click's work queues a refresh): drain until none is left.
        while self.deps.tasks.busy and (left := deadline - loop.time()) > 0:
            await self.deps.tasks.drain(left)

    async def _stop_reminders(self, deadline: float) -> None:
        reminders = self.deps.reminder_loop
        if reminders is not None and not reminders.stopped:
            left = max(deadline - asyncio.get_running_loop().time(), 0.0)
            await reminders.stop(grace_seconds=left)


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


def db_timeouts(settings: Settings) -> DbTimeouts:
    return DbTimeouts(
        connect=settings.db_connect_timeout,
        statement=settings.db_statement_timeout,
        pool=settings.db_pool_timeout,
    )


async def start_bot(
    settings: Settings, *, host: str | None = None, port: int | None = None
) -> RunningBot:
    """Migrate, build and start the bot; returns once it accepts requests."""
    settings.require_slack()
    activate_encryption(settings)
    timeouts = db_timeouts(settings)
    await _migrate(settings, timeouts)
    db = Database(
        make_engine(settings.database_url, schema=settings.database_schema, timeouts=timeouts)
    )
    deps = make_deps(settings, db)
    app = build_app(deps)
    # Slack catches up with what the database wants: rows a dead process left, retries.
    await deps.outbox.start()
    reminders = make_reminder_client(settings, session=shared_session(deps))
    scheduler = start_scheduler(deps, reminders)
    schedule_retention(scheduler, deps, app.client)  # the daily purge, on the same scheduler
    readiness = Readiness(db)
    web_app = build_web_app(
        app,
        deps,
        slack_path=None if settings.socket_mode else "/slack/events",
        readiness=readiness,
    )
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.host, settings.port if port is None else port)
    await site.start()
    bound_port = runner.addresses[0][1]
    socket_handler = None
    if settings.socket_mode and settings.slack_app_token:
        socket_handler = GuardedSocketModeHandler(
            app, settings.slack_app_token, web_client=app.client
        )
        readiness.socket = socket_handler
        await socket_handler.connect_async()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on :{bound_port}/slack/events"
    log.info("Casusbot running (%s, Slack API %s)", mode, settings.slack_api_url)
    return RunningBot(deps, app, runner, bound_port, socket_handler, readiness, scheduler)


async def _migrate(settings: Settings, timeouts: DbTimeouts) -> None:
    """On an engine of its own: only migrations may take minutes per statement."""
    engine = make_engine(
        settings.database_url,
        schema=settings.database_schema,
        timeouts=DbTimeouts(
            connect=timeouts.connect, statement=MIGRATION_STATEMENT_SECONDS, pool=timeouts.pool
        ),
    )
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


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
