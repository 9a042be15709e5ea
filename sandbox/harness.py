"""The real bot on the stand-in: its settings, its installation as the manifest declares, and
waiting until both are quiet. Shared by the runner, the demo and the browser tests."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bot.config import Settings
from bot.server import RunningBot

from .sandbox import Sandbox
from .workspace import App

CASE_CHANNEL = "casus-demo"
# Installed as the manifest declares, so the stand-in delivers only what the bot listens to.
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


async def settle(sb: Sandbox, bot: RunningBot, max_wait: float = 15.0) -> None:
    """Wait until the stand-in is quiet AND the bot has no task still working.

    The stand-in only sees Web API calls; a handler busy with the database between two calls
    is invisible to it, so the bot's own task count is checked too.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while True:
        await sb.settle(max_wait=max_wait)
        if bot.deps.busy == 0:
            await sb.settle(max_wait=max_wait)
            if bot.deps.busy == 0:
                return
        if loop.time() > deadline:
            raise TimeoutError("the bot is still busy")
        await asyncio.sleep(0.01)


def sandbox_settings(
    settings: Settings, sb: Sandbox, bot_token: str, app_token: str, data_dir: Path
) -> Settings:
    return dataclasses.replace(
        settings,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_signing_secret=None,
        slack_api_url=sb.api_url,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'sandbox.sqlite3'}",
        database_schema=None,
        data_dir=data_dir,
        environment="development",
        encryption_keys=None,
        host="127.0.0.1",
    )


def install(sb: Sandbox) -> App:
    manifest = str(MANIFEST) if MANIFEST.is_file() else None
    return sb.install_app(name="Casusbot", join=[CASE_CHANNEL], manifest=manifest)
