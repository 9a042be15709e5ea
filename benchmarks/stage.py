"""The stage: the sandbox as Slack in this process, the real bot (`python -m bot run`) in its own.

The bot is started exactly as an admin starts it, from settings in its environment, and is
reached over signed HTTP on /slack/events. Its /healthz reports how many tasks it still runs,
which is how we know it has finished the work behind its acks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.database import Place
from benchmarks.procs import Server, free_port, spawn
from benchmarks.profiler import bot_command
from sandbox import App, Sandbox, Workspace
from storage.db import Database

CASE_CHANNEL = "casus-demo"
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
SETTLE_SECONDS = 120.0


def bot_env(app: App, sb: Sandbox, place: Place, port: int, **extra: str) -> dict[str, str]:
    """The environment of `python -m bot run`: every Slack setting explicit, so a developer's
    .env (say, an app token that would switch to Socket Mode) cannot change what is measured."""
    return {
        "SLACK_BOT_TOKEN": app.bot_token,
        "SLACK_SIGNING_SECRET": app.signing_secret,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": sb.api_url,
        "CASUSBOT_HOST": "127.0.0.1",
        "CASUSBOT_PORT": str(port),
        "CASUSBOT_LOG_LEVEL": "INFO",  # the production default: one line per request
        **place.env(),
        **extra,
    }


async def start_bot_process(
    app: App, sb: Sandbox, place: Place, name: str = "casusbot", **extra: str
) -> Server:
    port = free_port()
    # `python -m bot run`, or with BENCHMARKS_PROFILE_DIR the same bot under a switchable
    # profiler (benchmarks.profiler).
    args, profiling = bot_command(name)
    server = spawn(
        name,
        args,
        env={**bot_env(app, sb, place, port, **extra), **profiling},
        log_dir=place.workdir,
        port=port,
    )
    server.profiled = bool(profiling)
    try:
        await server.wait_ready()
    except BaseException:
        await server.stop()
        raise
    return server


@dataclass
class Stage:
    sb: Sandbox
    app: App
    bot: Server
    place: Place
    db: Database

    async def settle(self, max_wait: float = SETTLE_SECONDS) -> None:
        """Quiet in the sandbox AND no task left in the bot (the sandbox cannot see those)."""
        deadline = time.monotonic() + max_wait
        while time.monotonic() < deadline:
            await self.sb.settle(max_wait=max_wait)
            if (await self.bot.health()).get("tasks") == 0:
                await self.sb.settle(max_wait=max_wait)
                if (await self.bot.health()).get("tasks") == 0:
                    return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the bot is still busy after {max_wait:.0f}s")


def new_sandbox(workspace: Workspace | None = None) -> Sandbox:
    # Acks are measured by the load generator; the sandbox's own deliveries (a person's click)
    # may wait longer than Slack's 3 s on a loaded machine without failing the run.
    return Sandbox(workspace or Workspace.demo(), ack_timeout=30.0, quiet=0.1)


def install(sb: Sandbox, **overrides: Any) -> App:
    """Installed from our manifest, as in the end-to-end tests; `overrides` as install_app."""
    return sb.install_app(name="Casusbot", join=[CASE_CHANNEL], manifest=str(MANIFEST), **overrides)


@asynccontextmanager
async def stage(
    place: Place, workspace: Workspace | None = None, **extra: str
) -> AsyncIterator[Stage]:
    sb = new_sandbox(workspace)
    await sb.start()
    db = place.database()
    bot: Server | None = None
    try:
        app = install(sb)
        bot = await start_bot_process(app, sb, place, **extra)
        app.request_url = bot.events_url
        yield Stage(sb, app, bot, place, db)
    finally:
        if bot is not None:
            await bot.stop()
        await db.dispose()
        await sb.stop()
