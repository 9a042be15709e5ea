"""Shutdown: stop taking requests, let every running task finish — including work that running
work started — and close the database only after the last of them (issue 17)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.server import start_bot
from sandbox import Sandbox, Workspace
from tests.e2e.conftest import CASE_CHANNEL, MANIFEST


async def test_the_database_is_closed_only_after_the_last_task(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Sandbox(Workspace.demo()) as sb:
        app = sb.install_app(name="Casusbot", join=[CASE_CHANNEL], manifest=str(MANIFEST))
        settings = make_settings(
            SLACK_BOT_TOKEN=app.bot_token,
            SLACK_SIGNING_SECRET=app.signing_secret,
            SLACK_API_URL=sb.api_url,
            CASUSBOT_HOST="127.0.0.1",
            DATABASE_URL=f"sqlite:///{tmp_path / 'casusbot.sqlite3'}",
        )
        bot = await start_bot(settings, port=0)
        done: list[str] = []

        async def follow_up() -> None:  # e.g. a refresh queued by a click's work
            await asyncio.sleep(0.3)
            async with bot.deps.db.session() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            done.append("follow-up")

        async def click_work() -> None:
            await asyncio.sleep(0.2)
            bot.deps.tasks.spawn(follow_up(), name="follow-up")
            done.append("click")

        bot.deps.tasks.spawn(click_work(), name="click")
        seen_at_dispose: list[list[str]] = []
        dispose = bot.deps.db.dispose

        async def observed_dispose() -> None:
            seen_at_dispose.append(list(done))
            await dispose()

        monkeypatch.setattr(bot.deps.db, "dispose", observed_dispose)
        url = f"http://127.0.0.1:{bot.port}/readyz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
        await bot.stop()
        assert seen_at_dispose == [["click", "follow-up"]]
        assert bot.deps.tasks.busy == 0
        with pytest.raises(aiohttp.ClientConnectionError):  # no longer taking requests
            async with aiohttp.ClientSession() as http, http.get(url):
                pass
