"""Engine and sessions: one async engine per process, SQLite or PostgreSQL.

SQLite gets WAL (readers never block the writer), a busy timeout (concurrent writers wait
instead of failing) and foreign keys (off by default in SQLite) on every new connection.

The serving bot passes `DbTimeouts`, so a database that refuses or hangs costs a bounded wait
instead of hanging every request behind it: a connection attempt, a statement and the wait for
a pooled connection each have a limit. A connection whose statement outran the client-side
limit is thrown away with every pooled connection older than it (the server may have gone away
mid-statement), so work resumes on fresh connections as soon as the database answers again.
Admin commands and tests call `make_engine` without timeouts: a long migration or purge is
not cut short.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite import connect as sqlite_connect

SQLITE_BUSY_TIMEOUT_MS = 10_000
# The client-side limit sits a little above the server's statement_timeout, so a live server
# cancels a slow statement itself (the connection stays usable) and the client only gives up
# on a server that does not answer at all.
CLIENT_MARGIN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class DbTimeouts:
    """Seconds: establishing a connection, one statement, waiting for a pooled connection."""

    connect: float = 5.0
    statement: float = 10.0
    pool: float = 5.0


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    echo: bool = False,
    timeouts: DbTimeouts | None = None,
    server_settings: Mapping[str, str] | None = None,
) -> AsyncEngine:
    """Create the engine; `schema` pins PostgreSQL's search_path (tests use one per run).

    `timeouts`: see the module docstring. `server_settings`: extra PostgreSQL settings for
    every connection (tests use them to steer the planner).
    """
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if timeouts is None else int(timeouts.statement * 1000)
        pool_args: dict[str, Any] = {} if timeouts is None else {"pool_timeout": timeouts.pool}
        engine = create_async_engine(
            url,
            echo=echo,
            # storage.sqlite: one hop to aiosqlite's thread per statement instead of four
            connect_args={"timeout": busy_ms / 1000, "async_creator_fn": sqlite_connect},
            **pool_args,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_ms))
        return engine
    settings: dict[str, str] = dict(server_settings or {})
    if schema:
        settings["search_path"] = schema
    connect_args: dict[str, Any] = {}
    engine_args: dict[str, Any] = {}
    if timeouts is not None:
        settings["statement_timeout"] = str(int(timeouts.statement * 1000))
        connect_args["timeout"] = timeouts.connect
        connect_args["command_timeout"] = timeouts.statement + CLIENT_MARGIN_SECONDS
        engine_args["pool_timeout"] = timeouts.pool
    if settings:
        connect_args["server_settings"] = settings
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args=connect_args,
        **engine_args,
    )
    event.listen(engine.sync_engine, "handle_error", _discard_on_client_timeout)
    return engine


def _discard_on_client_timeout(context: ExceptionContext) -> None:
    """asyncpg gave up waiting for the server (command_timeout): the connection is in an
    unknown state and the server may be gone, so it is dropped like a broken one, and the
    pool's older connections with it, instead of being handed to the next request."""
    if isinstance(context.original_exception, TimeoutError):
        context.is_disconnect = True


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(busy_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


@dataclass(frozen=True, slots=True)
class _Unit:
    """The session a unit of work shares with every session opened inside it (in its task)."""

    db: Database
    session: AsyncSession
    task: asyncio.Task[Any] | None


_unit: ContextVar[_Unit | None] = ContextVar("casusbot_db_unit", default=None)


class Database:
    """The engine plus a session factory; handed to listeners by the middleware."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error. Inside a
        `unit`, the unit's session: its transaction ends with the unit."""
        shared = self._shared()
        if shared is not None:
            yield shared
            return
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """One transaction for all the work inside: every `session()` opened in it (in this
        task) is this one session, committed when the block ends and rolled back when it
        raises. A request's guard and its use case read and write over one connection with one
        commit, instead of a connection, a commit and a reset for each. Tasks started inside
        open sessions of their own. Nested units join the outer one."""
        if self._shared() is not None:
            yield
            return
        async with self._sessions() as session:
            token = _unit.set(_Unit(self, session, _current_task()))
            try:
                yield
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                _unit.reset(token)

    def _shared(self) -> AsyncSession | None:
        unit = _unit.get()
        if unit is None or unit.db is not self or unit.task is not _current_task():
            return None
        return unit.session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def checkpoint() -> None:
    """Inside a unit (of any database): commit what it did so far, before a wait on something
    else — Slack — so no transaction stays open meanwhile; the unit goes on in a new one."""
    unit = _unit.get()
    if unit is not None and unit.task is _current_task() and unit.session.in_transaction():
        await unit.session.commit()


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
