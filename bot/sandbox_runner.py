"""`python -m bot sandbox`: the real bot against the local Slack stand-in, no account needed.

Everything stays on this machine: the stand-in binds 127.0.0.1, the bot connects to it over
Socket Mode, and the database is a temporary SQLite file that is removed afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import signal
import tempfile
from pathlib import Path

from bot.config import Settings
from bot.server import RunningBot, start_bot
from sandbox import Sandbox, Workspace

CASE_CHANNEL = "casus-demo"


async def settle(sb: Sandbox, bot: RunningBot, max_wait: float = 15.0) -> None:
    """Wait until the stand-in is quiet AND the bot has no task still working.

    The stand-in only sees Web API calls; a handler busy with the database between two calls
    is invisible to it, so the bot's own task count is checked too.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while True:
        await sb.settle(max_wait=max_wait)
        if bot.deps.tasks.busy == 0:
            await sb.settle(max_wait=max_wait)
            if bot.deps.tasks.busy == 0:
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


async def run_sandbox(settings: Settings, *, demo: bool, port: int) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="casusbot-sandbox-"))
    sb = Sandbox(Workspace.demo(), port=port)
    await sb.start()
    bot: RunningBot | None = None
    try:
        app = sb.install_app(name="Casusbot", join=[CASE_CHANNEL])
        bot = await start_bot(
            sandbox_settings(settings, sb, app.bot_token, app.app_token, data_dir), port=0
        )
        if demo:
            from bot.demo import play

            print(await play(sb, bot))
            return 0
        print(
            f"Slack stand-in:  {sb.url}  (Web API {sb.api_url}, control API {sb.url}_sandbox/)\n"
            f"Casusbot:        connected over Socket Mode; health http://127.0.0.1:{bot.port}/healthz\n"
            f"Database:        {data_dir / 'sandbox.sqlite3'} (removed on exit)\n"
            f"People:          petra (procesregisseur), karim (casusregisseur), sanne, joost,"
            f" ilse (English), lotte, gast_bram (guest)\n"
            f"Try:             python -m bot sandbox --demo   to watch a whole case meeting\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    finally:
        if bot is not None:
            await bot.stop()
        await sb.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
