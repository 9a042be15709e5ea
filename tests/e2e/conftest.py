"""End to end: the real bot, on a real database, talking to the sandbox over real HTTP or
Socket Mode. Tests act as the demo workspace's people and assert what they see and what is
stored."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.server import RunningBot, start_bot
from sandbox import App, Sandbox, Workspace
from storage.db import Database

CASE_CHANNEL = "casus-demo"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@dataclass
class Harness:
    sb: Sandbox
    app: App
    bot: RunningBot
    settings: Settings

    @property
    def db(self) -> Database:
        return self.bot.deps.db

    async def settle(self, max_wait: float = 60.0) -> None:
        """Quiet in the sandbox AND no bot task still working (the sandbox cannot see those).

        Returns as soon as all is quiet; the long limit only serves a busy machine, where the
        report's PDF alone can take many seconds of a starved thread."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        while True:
            await self.sb.settle(max_wait=max_wait)
            if self.bot.deps.busy == 0:
                await self.sb.settle(max_wait=max_wait)
                if self.bot.deps.busy == 0:
                    return
            if loop.time() > deadline:
                raise TimeoutError("bot still busy")
            await asyncio.sleep(0.01)


async def start_harness(
    make_settings: Callable[..., Settings], database_env: dict[str, str], *, socket_mode: bool
) -> tuple[Sandbox, App, RunningBot, Settings]:
    # Slack's 3 s limits for acks and trigger ids are generous here on purpose: a busy CI
    # machine must not fail a test about behaviour; ack speed is measured in benchmarks/.
    sb = Sandbox(Workspace.demo(), ack_timeout=10.0, trigger_ttl=10.0, connect_timeout=10.0)
    await sb.start()
    # Installed from our manifest: the stand-in then holds the bot to the scopes, commands
    # and events it declares, as Slack would.
    app = sb.install_app(name="Casusbot", join=[CASE_CHANNEL], manifest=str(MANIFEST))
    env = {
        "SLACK_BOT_TOKEN": app.bot_token,
        "SLACK_API_URL": sb.api_url,
        "CASUSBOT_HOST": "127.0.0.1",
        **database_env,
    }
    if socket_mode:
        env["SLACK_APP_TOKEN"] = app.app_token
    else:
        env["SLACK_SIGNING_SECRET"] = app.signing_secret
    settings = make_settings(**env)
    running = await start_bot(settings, port=0)
    if not socket_mode:
        app.request_url = f"http://127.0.0.1:{running.port}/slack/events"
    return sb, app, running, settings


@contextlib.asynccontextmanager
async def running_harness(
    make_settings: Callable[..., Settings], database_env: dict[str, str], *, socket_mode: bool
) -> AsyncIterator[Harness]:
    sb, app, running, settings = await start_harness(
        make_settings, database_env, socket_mode=socket_mode
    )
    try:
        yield Harness(sb, app, running, settings)
    finally:
        await running.stop()
        await sb.stop()


@pytest.fixture
async def named_harness(
    make_settings: Callable[..., Settings], migrated_env: dict[str, str]
) -> AsyncIterator[Harness]:
    """The bot over signed HTTP with CASUSBOT_SCORES_NAMED=true: revealed scores carry names."""
    env = {**migrated_env, "CASUSBOT_SCORES_NAMED": "true"}
    async with running_harness(make_settings, env, socket_mode=False) as running:
        yield running


@pytest.fixture
async def harness(
    make_settings: Callable[..., Settings], migrated_env: dict[str, str]
) -> AsyncIterator[Harness]:
    """The bot over signed HTTP, on SQLite and on PostgreSQL."""
    async with running_harness(make_settings, migrated_env, socket_mode=False) as running:
        yield running


@pytest.fixture
async def socket_harness(
    make_settings: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """The bot over Socket Mode (SQLite)."""
    db_file = tmp_path_factory.mktemp("socket") / "casusbot.sqlite3"
    database = {"DATABASE_URL": f"sqlite:///{db_file}"}
    async with running_harness(make_settings, database, socket_mode=True) as running:
        yield running
