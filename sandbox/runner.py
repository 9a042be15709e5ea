"""`python -m bot sandbox`: the real bot against the local Slack stand-in, no account needed.

The sandbox adds this command to the bot's CLI through the `casusbot.commands` entry point
(pyproject.toml): the bot itself never imports the sandbox.

Everything stays on this machine: the stand-in binds 127.0.0.1, the bot connects to it over
Socket Mode, and the database is a temporary SQLite file that is removed afterwards. The
stand-in serves a Slack-like page (sandbox/web) where anyone can act as any of the workspace's
people: the training environment for new procesregisseurs.

    python -m bot sandbox                    the page, an empty case channel
    python -m bot sandbox --demo             the page, with a case that already had a meeting
    python -m bot sandbox --demo --transcript   play the demo meeting, print it, exit
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import tempfile
import webbrowser
from pathlib import Path

from bot.config import Settings
from bot.server import RunningBot, start_bot

from .demo import play, seed
from .harness import install, sandbox_settings
from .sandbox import Sandbox
from .workspace import Workspace


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
            print(await play(sb, bot))
            return 0
        if demo:
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


class SandboxCommand:
    """`python -m bot sandbox`, as the bot's CLI finds it (bot.cli.Plugin)."""

    help = "run the bot against a local stand-in for Slack (no account needed)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--demo", action="store_true", help="start with a case that already had a meeting"
        )
        parser.add_argument(
            "--transcript", action="store_true", help="play the demo meeting, print it and exit"
        )
        parser.add_argument("--open", action="store_true", help="open the page in your browser")
        parser.add_argument("--port", type=int, default=8765, help="port of the stand-in (8765)")

    async def run(self, settings: Settings, args: argparse.Namespace) -> int:
        return await run_sandbox(
            settings,
            demo=args.demo,
            port=args.port,
            transcript=args.transcript,
            open_page=args.open,
        )


command = SandboxCommand()
