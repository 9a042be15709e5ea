"""Where a benchmark's data lives: a SQLite file in a temporary directory, or a fresh
PostgreSQL schema (CASUSBOT_DATABASE_SCHEMA) that is dropped afterwards.

Every part gets its own empty database, so one part's rows never slow down another's.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import load_settings
from storage.crypto import KeyRing, set_active_key_ring
from storage.db import Database, make_engine
from storage.migrate import migrate


@dataclass
class Place:
    """One benchmark's database and working directory, and the settings that point at them."""

    workdir: Path
    url: str  # the async URL, as bot.config normalises it
    schema: str | None
    encryption_key: str

    @property
    def dialect(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    def env(self) -> dict[str, str]:
        """Environment for a bot process (python -m bot run) using this database."""
        env = {
            "DATABASE_URL": self.url,
            "CASUSBOT_DATA_DIR": str(self.workdir / "data"),
            # The same key in every process: one writes encrypted text, another reads it.
            "CASUSBOT_ENCRYPTION_KEYS": self.encryption_key,
            "CASUSBOT_ENV": "production",
        }
        if self.schema:
            env["CASUSBOT_DATABASE_SCHEMA"] = self.schema
        return env

    def database(self) -> Database:
        """This process's own engine on the database (for seeding and checking)."""
        return Database(make_engine(self.url, schema=self.schema))


def describe(database_url: str | None) -> str:
    if not database_url:
        return "SQLite (WAL, temporary file)"
    return "PostgreSQL" if dialect(database_url) == "postgresql" else "SQLite (WAL)"


def dialect(database_url: str | None) -> str:
    """ "sqlite" or "postgresql": which of the two databases the figures are for."""
    if database_url and async_url(database_url).startswith("postgresql"):
        return "postgresql"
    return "sqlite"


# Alembic keeps its migration context in module globals: one migration at a time per process
# (the parts start several databases at once).
_MIGRATING = asyncio.Lock()


@asynccontextmanager
async def place(database_url: str | None, label: str) -> AsyncIterator[Place]:
    """A migrated, empty database for one benchmark part; removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=f"casusbot-bench-{label}-"))
    key = Fernet.generate_key().decode()
    # Seeding from this process writes encrypted columns too, with the bot's key.
    set_active_key_ring(KeyRing([key.encode()]))
    schema = None
    if database_url:
        url = async_url(database_url)
        if url.startswith("postgresql"):
            schema = f"bench_{label}_{secrets.token_hex(4)}"
            await _execute(url, f'CREATE SCHEMA "{schema}"')
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'casusbot.sqlite3'}"
    found = Place(workdir, url, schema, key)
    try:
        db = found.database()
        try:
            async with _MIGRATING:
                await migrate(db.engine)
        finally:
            await db.dispose()
        yield found
    finally:
        if schema:
            await _execute(url, f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(workdir, ignore_errors=True)
        set_active_key_ring(None)


def async_url(database_url: str) -> str:
    """The URL as the bot will use it (postgresql:// becomes postgresql+asyncpg://)."""
    return load_settings({"DATABASE_URL": database_url}).database_url


async def _execute(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
