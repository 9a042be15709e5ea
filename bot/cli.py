"""`python -m bot [command]`: run the bot, the sandbox, or an admin task.

Every expected failure (a bad setting, an unreachable database) ends with one line on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.admin import AdminError
from bot.config import Settings, SettingsError, load_settings
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
    sandbox.add_argument(
        "--demo", action="store_true", help="start with a case that already had a meeting"
    )
    sandbox.add_argument(
        "--transcript", action="store_true", help="play the demo meeting, print it and exit"
    )
    sandbox.add_argument("--open", action="store_true", help="open the page in your browser")
    sandbox.add_argument("--port", type=int, default=8765, help="port of the stand-in (8765)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    rotate = commands.add_parser(
        "rotate-keys",
        help="re-encrypt all free text with the newest key in CASUSBOT_ENCRYPTION_KEYS",
    )
    rotate.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    rotate.add_argument("--batch-size", type=_positive, default=500, help="rows per commit (500)")
    audit = commands.add_parser("audit", help="who did what and when in a case (no content)")
    audit.add_argument("--case", required=True, metavar="CODE", help="the case code")
    export = commands.add_parser("export", help="write a case file as JSON and Markdown (0600)")
    export.add_argument("--case", required=True, metavar="CODE", help="the case code")
    export.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="directory (default DATA_DIR/exports)"
    )
    purge = commands.add_parser(
        "purge", help="purge closed cases past CASUSBOT_RETENTION_DAYS (as the daily job does)"
    )
    purge.add_argument("--dry-run", action="store_true", help="show what would go, change nothing")
    purge.add_argument(
        "--database-only",
        action="store_true",
        help="leave the bot's Slack messages (when Slack cannot be reached from here)",
    )
    return root


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


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

            return asyncio.run(
                run_sandbox(
                    settings,
                    demo=args.demo,
                    port=args.port,
                    transcript=args.transcript,
                    open_page=args.open,
                )
            )
        else:
            from bot.server import activate_encryption

            activate_encryption(settings)
            asyncio.run(_admin(command, args, settings))
    except (SettingsError, AdminError) as error:
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


async def _admin(command: str, args: argparse.Namespace, settings: Settings) -> None:
    """The admin tasks (bot.admin): they print ids, codes and counts, never content."""
    if command == "rotate-keys":
        from bot.admin.rotate import rotate_keys

        await rotate_keys(settings, dry_run=args.dry_run, batch_size=args.batch_size)
    elif command == "audit":
        from bot.admin.audit_cli import show_audit

        await show_audit(settings, code=args.case)
    elif command == "export":
        from bot.admin.export import export_case

        await export_case(settings, code=args.case, out=args.out)
    elif command == "purge":
        from bot.admin.purge import purge

        await purge(settings, dry_run=args.dry_run, database_only=args.database_only)


async def _migrate(url: str, schema: str | None) -> None:
    from storage.db import make_engine
    from storage.migrate import migrate

    engine = make_engine(url, schema=schema)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
