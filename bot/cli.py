"""`python -m bot [command]`: run the bot, the sandbox, or an admin task.

Every expected failure (a bad setting, an unreachable database) ends with one line on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.config import SettingsError, load_settings
from bot.logs import setup_logging

EXIT_CONFIG = 2


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot",
        description="Casusbot: guides multi-agency case meetings in Slack (BOB method).",
    )
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="connect to Slack and run the bot (the default)")
    sandbox = commands.add_parser(
        "sandbox", help="run the bot against a local stand-in for Slack (no account needed)"
    )
    sandbox.add_argument("--demo", action="store_true", help="play a demo meeting and print it")
    sandbox.add_argument("--port", type=int, default=8765, help="port of the stand-in (8765)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if command == "run":
            settings.require_slack()
            from bot.server import serve

            asyncio.run(serve(settings))
        elif command == "migrate":
            from bot.server import activate_encryption

            activate_encryption(settings)
            asyncio.run(_migrate(settings.database_url, settings.database_schema))
        elif command == "sandbox":
            from bot.sandbox_runner import run_sandbox

            return asyncio.run(run_sandbox(settings, demo=args.demo, port=args.port))
    except SettingsError as error:
        print(f"casusbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
    except SQLAlchemyError as error:
        # Name the problem without dumping the URL (it may hold a password).
        detail = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        print(f"casusbot: database error: {detail[:200]}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as error:
        # Port in use, database file not writable, database unreachable: say which.
        print(f"casusbot: {error.strerror or error}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


async def _migrate(url: str, schema: str | None) -> None:
    from storage.db import make_engine
    from storage.migrate import migrate

    engine = make_engine(url, schema=schema)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
