"""`python -m bot [command]`: run the bot, an admin task, or a command a package adds.

Packages add commands through the `casusbot.commands` entry point group (the sandbox adds
`sandbox`; see pyproject.toml), so the bot runs without them and never imports them itself.
Every expected failure (a bad setting, an unreachable database, a command whose package is
not installed) ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.admin import AdminError
from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging

EXIT_CONFIG = 2
PLUGIN_GROUP = "casusbot.commands"
BUILT_IN = (
    "run",
    "migrate",
    "doctor",
    "rotate-keys",
    "audit",
    "export",
    "purge",
    "retry-reminders",
)
# Commands of packages that may be missing, and what to install for them.
OPTIONAL = {"sandbox": "the sandbox (pip install -e . from a checkout of the repository)"}


class Plugin(Protocol):
    """A command a package adds: its help line, its arguments, and what it does."""

    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    async def run(self, settings: Settings, args: argparse.Namespace) -> int: ...


def parser(plugins: Mapping[str, Plugin] | None = None) -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot",
        description="Casusbot: guides multi-agency case meetings in Slack (BOB method).",
    )
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="connect to Slack and run the bot (the default)")
    for name, plugin in (plugins or {}).items():
        plugin.add_arguments(commands.add_parser(name, help=plugin.help))
    commands.add_parser("migrate", help="apply database migrations and exit")
    commands.add_parser(
        "doctor", help="check this installation: settings, database, keys, Slack, backlogs"
    )
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
    retry = commands.add_parser(
        "retry-reminders", help="send failed reminders again (after fixing what the doctor says)"
    )
    retry.add_argument(
        "--dismiss", action="store_true", help="do not send them; stop listing them as failed"
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


def _command_word(argv: Sequence[str]) -> str | None:
    return next((word for word in argv if not word.startswith("-")), None)


def load_plugins(argv: Sequence[str]) -> dict[str, Plugin]:
    """The added commands this call needs: the one named (all of them for the overall
    --help). Loading one imports its package, so a plain `run` loads none."""
    named = _command_word(argv)
    if named in BUILT_IN or (named is None and not {"-h", "--help"} & set(argv)):
        return {}
    found: dict[str, Plugin] = {}
    for point in entry_points(group=PLUGIN_GROUP):
        if point.name in BUILT_IN or named not in (None, point.name):
            continue
        try:
            found[point.name] = point.load()
        except ImportError as error:  # installed metadata, but the package is gone
            print(f"casusbot: command '{point.name}' cannot load: {error}", file=sys.stderr)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plugins = load_plugins(argv)
    named = _command_word(argv)
    if named in OPTIONAL and named not in plugins:
        print(f"casusbot: '{named}' needs {OPTIONAL[named]}", file=sys.stderr)
        return EXIT_CONFIG
    args = parser(plugins).parse_args(argv)
    command = args.command or "run"
    if command == "doctor":
        # Its own settings errors are among the lines it prints.
        from bot.admin.doctor import doctor_command

        return doctor_command()
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
        elif command in plugins:
            return asyncio.run(plugins[command].run(settings, args))
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
        detail = str(getattr(error, "orig", None) or error).splitlines()[0]
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
    elif command == "retry-reminders":
        from bot.admin.reminders import retry_reminders

        await retry_reminders(settings, dismiss=args.dismiss)


async def _migrate(url: str, schema: str | None) -> None:
    from storage.db import make_engine
    from storage.migrate import migrate

    engine = make_engine(url, schema=schema)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
