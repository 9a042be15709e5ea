"""Shared fixtures: settings, and a migrated database on SQLite and on PostgreSQL.

PostgreSQL tests read their URL from CASUSBOT_TEST_POSTGRES_URL. Unset, they skip; set (as CI
does), an unreachable server fails them. Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings, load_settings
from storage.crypto import KeyRing, set_active_key_ring
from storage.db import Database, make_engine
from storage.migrate import migrate

POSTGRES_URL = os.environ.get("CASUSBOT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]

# The suite runs on several workers (`pytest -n 4 --dist loadgroup`, .ci/run). Every test has
# its own database (file or PostgreSQL schema), sandbox and ports, so any two may run at once;
# these folders run on one worker each, one test after another, all the same:
SERIAL_FOLDERS = {
    # real bot processes, kill -9, two replicas, outages: their bounds assume a fair share of
    # the CPU, which four of them at once on two cores would not get
    "faults": "faults",
    # a module-scoped Chromium: one browser at a time, started once per module
    "browser": "browser",
    # a module-scoped fixture runs the four benchmark parts as processes at once
    "benchmarks": "benchmarks",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else ""
        if folder in SERIAL_FOLDERS:
            item.add_marker(pytest.mark.xdist_group(SERIAL_FOLDERS[folder]))


def async_pg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(autouse=True, scope="session")
def encryption_key() -> Iterator[KeyRing]:
    """Free-text columns need an active key ring, as at start-up."""
    ring = KeyRing([Fernet.generate_key()])
    set_active_key_ring(ring)
    yield ring
    set_active_key_ring(None)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**env: str) -> Settings:
        values = {"CASUSBOT_DATA_DIR": str(tmp_path / "data"), "CASUSBOT_ENV": "development"}
        values.update(env)
        return load_settings(values)

    return build


@pytest.fixture
def pg_schema_url() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema: yields (url, schema) and drops the schema afterwards.

    Sync on purpose (its own short event loop), so sync and async fixtures can both use it.
    """
    if not POSTGRES_URL:
        pytest.skip("CASUSBOT_TEST_POSTGRES_URL is not set (CI sets it)")
    url = async_pg_url(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(url, f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        asyncio.run(_pg_execute(url, f'DROP SCHEMA "{schema}" CASCADE'))


async def _pg_execute(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Settings that point at an empty database on each backend."""
    if request.param == "sqlite":
        return {"DATABASE_URL": f"sqlite:///{tmp_path / 'casusbot.sqlite3'}"}
    url, schema = request.getfixturevalue("pg_schema_url")
    return {"DATABASE_URL": url, "CASUSBOT_DATABASE_SCHEMA": schema}


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the head once per session (and xdist worker), copied by
    `migrated_env` instead of running every migration again for each test."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"

    async def build() -> None:
        database = Database(make_engine(f"sqlite+aiosqlite:///{path}"))
        try:
            await migrate(database.engine)
        finally:
            await database.dispose()  # the last connection checkpoints the WAL into the file

    asyncio.run(build())
    return path


@pytest.fixture
def migrated_env(database_env: dict[str, str], migrated_sqlite: Path) -> dict[str, str]:
    """`database_env`, its SQLite file starting as a copy of the migrated template (the
    migrations then find nothing to do). PostgreSQL schemas start empty: whoever uses them
    migrates. Tests of the migrations themselves use `database_env`."""
    url = database_env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        target = Path(url.removeprefix("sqlite:///"))
        if not target.exists():
            shutil.copyfile(migrated_sqlite, target)
    return database_env


@pytest.fixture
async def db(
    migrated_env: dict[str, str], make_settings: Callable[..., Settings]
) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    settings = make_settings(**migrated_env)
    database = Database(make_engine(settings.database_url, schema=settings.database_schema))
    await migrate(database.engine)
    yield database
    await database.dispose()
