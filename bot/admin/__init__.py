"""Admin tasks behind `python -m bot <command>`: doctor, key rotation, audit, export, purge,
retrying failed reminders.

They run on the admin's terminal, not in Slack: output is English and shows ids, codes and
counts, never case content or keys. An expected failure raises `AdminError`, which the CLI
prints as one line with exit code 2.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings
from storage.db import Database, make_engine
from storage.migrate import migrate

# Audit actors are Slack user ids (U…); an admin on the command line is recorded as cli:<login>.
CLI_ACTOR_PREFIX = "cli:"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AdminError(Exception):
    """An expected failure of an admin command; `str()` is the line shown."""


def cli_actor() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return (CLI_ACTOR_PREFIX + login)[:32]


def printable(value: object) -> str:
    """Text for the terminal: control characters (escape sequences) removed."""
    return _CONTROL.sub("", str(value))


@asynccontextmanager
async def admin_database(settings: Settings) -> AsyncIterator[Database]:
    """The bot's database, migrated like at start-up (an admin may run a newer version)."""
    db = Database(make_engine(settings.database_url, schema=settings.database_schema))
    try:
        await migrate(db.engine)
        yield db
    finally:
        await db.dispose()
