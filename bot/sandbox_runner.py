"""`python -m bot sandbox`: the real bot against the local Slack stand-in, no account needed.

Everything stays on this machine: the stand-in binds 127.0.0.1, the bot connects to it over
Socket Mode, and the database is a temporary SQLite file that is removed afterwards. The
stand-in serves a Slack-like page (sandbox/web) where anyone can act as any of the workspace's
people: the training environment for new procesregisseurs.

    python -m bot sandbox                    the page, an empty case channel
    python -m bot sandbox --demo             the page, with a case that already had a meeting
    python -m bot sandbox --demo --transcript   play the demo meeting, print it, exit
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import signal
import tempfile
import webbrowser
from pathlib import Path

from bot.config import Settings
from bot.server import RunningBot, start_bot
from sandbox import App, Sandbox, Workspace

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


def install(sb: Sandbox) -> App:
    manifest = str(MANIFEST) if MANIFEST.is_file() else None
    return sb.install_app(name="Casusbot", join=[CASE_CHANNEL], manifest=manifest)


def banner(sb: Sandbox, bot: RunningBot, data_dir: Path, *, demo: bool) -> str:
    case = (
        "Demo-casus:      ZVH-2026-014 in #casus-demo, met een eerder overleg en het verslag\n"
        if demo
        else "Begin:           /casus nieuw in #casus-demo (als petra)\n"
    )
    return (
        f"Open in je browser:  {sb.url}ui/\n"
        f"  Oefenomgeving: alles blijft op deze computer (127.0.0.1). Op de pagina kies je wie\n"
        f"  je bent: petra (procesregisseur), karim (casusregisseur), sanne, joost,\n"
        f"  ilse (English), lotte of gast_bram (gast).\n"
        f"{case}"
        f"Slack stand-in:  {sb.url}  (Web API {sb.api_url}, control API {sb.url}_sandbox/)\n"
        f"Casusbot:        connected over Socket Mode; health http://127.0.0.1:{bot.port}/healthz\n"
        f"Database:        {data_dir / 'sandbox.sqlite3'} (removed on exit)\n"
        f"Press Ctrl-C to stop."
    )


async def run_sandbox(
    settings: Settings,
    *,
    demo: bool,
    port: int,
    transcript: bool = False,
    open_page: bool = False,
) -> int:
    """Serve the stand-in and its page until Ctrl-C; `transcript` plays the demo and exits."""
    data_dir = Path(tempfile.mkdtemp(prefix="casusbot-sandbox-"))
    sb = Sandbox(Workspace.demo(), port=port)
    await sb.start()
    bot: RunningBot | None = None
    try:
        app = install(sb)
        bot = await start_bot(
            sandbox_settings(settings, sb, app.bot_token, app.app_token, data_dir), port=0
        )
        if transcript:
            from bot.demo import play

            print(await play(sb, bot))
            return 0
        if demo:
            from bot.demo import seed

            print("Demo-casus klaarzetten: het eerste overleg wordt gespeeld…", flush=True)
            await seed(sb, bot)
        print(banner(sb, bot, data_dir, demo=demo), flush=True)
        if open_page:
            webbrowser.open(f"{sb.url}ui/")
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
