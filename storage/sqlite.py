"""SQLite through aiosqlite with ONE hop to its thread per statement.

aiosqlite runs every call on a sqlite3 connection in a thread of its own, and each call is a
round trip between the event loop and that thread (a queue put, a wake-up, a self-pipe write
back). Through SQLAlchemy a statement made four of them — make a cursor, execute, fetch the
rows, close the cursor — and every session two more: a commit and the pool's rollback, even
when the session only read. On a click those hops cost more CPU than the statements.

Here a statement is one hop: the job on the thread makes the cursor, executes, fetches every
row and closes it, and the cursor SQLAlchemy holds serves the rows from memory. A commit or a
rollback with no transaction open is sqlite3's no-op, so it is answered without a hop. The
statements still run off the event loop: a write that waits for another process's lock
(busy_timeout) never stalls it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

ITER_CHUNK_SIZE = 64  # aiosqlite's default


def connect(database: Any, **kwargs: Any) -> Connection:
    """What aiosqlite.connect gives, with the hops above (SQLAlchemy's `async_creator_fn`)."""
    connection = Connection(partial(sqlite3.connect, str(database), **kwargs), ITER_CHUNK_SIZE)
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's: never blocks exit
    return connection


Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any) -> Outcome:
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, sql: str, parameters: Iterable[Any]) -> Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return cursor.description, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class Cursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; a statement's rows are fetched with it."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        self._took(await self._connection.run(_run, sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._took(await self._connection.run(_run_many, sql, list(parameters)))
        return self

    def _took(self, outcome: Outcome) -> None:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    """aiosqlite's connection with the cursor above and hop-free no-op commits/rollbacks."""

    def cursor(self) -> Cursor:  # type: ignore[override]  # SQLAlchemy enters it with `async with`
        return Cursor(self)

    async def run(self, job: Any, sql: str, parameters: Any) -> Outcome:
        """`job(sqlite3_connection, sql, parameters)` on the connection's thread."""
        result: Outcome = await self._execute(job, self._conn, sql, parameters)
        return result

    async def commit(self) -> None:
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.in_transaction:
            await super().rollback()
