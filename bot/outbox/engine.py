"""The outbox engine: makes Slack show what the `slack_object` rows want (DESIGN §2).

The process that committed a change renders its rows at once (`render_now`, the fast path);
a poller in every replica takes up what the fast path could not finish — Slack refused or was
slow, the process died — once the row is due or its lease has run out. One render per row at a
time in this process; a lease keeps other replicas off. While a render runs, new changes only
bump `wanted`, and the engine renders again when it sees that (coalescing). No database
transaction is open while Slack is called; logs name row ids, keys and codes, never content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from bot.outbox.render import Renderer, id_of
from bot.outbox.rows import Outcome, RowRenderer
from storage.db import Database
from storage.models import SlackObject
from storage.slack_objects import (
    DEFAULT_LEASE_SECONDS,
    claim_ready,
    object_by_id,
    release,
    take,
)
from storage.types import utcnow

log = logging.getLogger("casusbot.outbox")


@dataclass(frozen=True)
class FastPath:
    """What `render_now` achieved. `behind` holds the rows Slack does not show yet: the caller
    tells the user the change is stored and the message follows."""

    shown: frozenset[int] = frozenset()
    behind: frozenset[int] = frozenset()

    @property
    def complete(self) -> bool:
        return not self.behind


def default_owner() -> str:
    """Unique per process and start: a restarted process must not inherit its old leases."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:60] or "host"
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class _Job:
    results: dict[int, Outcome] = field(default_factory=dict)


class Outbox:
    """Renders outbox rows: at once for the process that committed them, and from a poller."""

    def __init__(
        self,
        db: Database,
        client: AsyncWebClient,
        renderers: Mapping[str, Renderer],
        owner: str | None = None,
        *,
        poll_interval: float = 2.0,
        concurrency: int = 8,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        render_timeout: float | None = None,
        patience: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.owner = owner or default_owner()
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.patience = patience
        self.clock = clock
        self.rows = RowRenderer(
            db=db,
            client=client,
            # Read at render time: a table that is filled once the renderers' dependencies
            # exist (they hold this outbox) serves as it is.
            renderers=renderers,
            owner=self.owner,
            lease_seconds=lease_seconds,
            render_timeout=render_timeout or lease_seconds / 4,
            clock=clock,
        )
        self.stats: Counter[str] = Counter()
        self._inflight: dict[int, asyncio.Task[Outcome]] = {}
        self._claim_locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}
        self._jobs: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    # ----- the fast path -----

    async def render_now(self, ids: Iterable[int], *, patience: float | None = None) -> FastPath:
        """Render these rows now: call right after committing the change that wanted them.

        Posts go first (one lane's posts in order, lanes side by side), then updates side by
        side. Waits at most `patience` seconds; the renders go on in the background after
        that, and `behind` says what is not shown yet.
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return FastPath()
        job = _Job()
        if not self._stopping:
            task = self._track(asyncio.create_task(self._fast(wanted, job)))
            done, _ = await asyncio.wait(
                {task}, timeout=self.patience if patience is None else patience
            )
            if not done:
                log.info("outbox: fast path still rendering after patience, rows %s", wanted)
        else:
            # Shutting down: hand the rows to the other replicas (or the next start) at once.
            with contextlib.suppress(DBAPIError):
                for row in await self._rows(wanted):
                    await self._hand_back(row)
        shown = frozenset(i for i, outcome in job.results.items() if outcome == Outcome.SHOWN)
        return FastPath(shown=shown, behind=frozenset(wanted) - shown)

    async def _fast(self, ids: list[int], job: _Job) -> None:
        try:
            await self._fast_rows(ids, job)
        except Exception:
            # The rows stay due (or leased until their lease runs out): the poller shows them.
            log.exception("outbox: fast path failed for rows %s", ids)

    async def _rows(self, ids: list[int]) -> list[SlackObject]:
        async with self.db.session() as session:
            query = select(SlackObject).where(col(SlackObject.id).in_(ids))
            return sorted((await session.exec(query)).all(), key=lambda r: r.id or 0)

    async def _fast_rows(self, ids: list[int], job: _Job) -> None:
        if len(ids) == 1:
            # One row has nothing to go before or after: its claim reads it (a vote's ballot).
            await self._fast_one(ids[0], job)
            return
        rows = await self._rows(ids)
        lanes: dict[str, list[SlackObject]] = {}
        alone: list[SlackObject] = []
        for row in rows:
            if row.posted:
                continue
            if row.lane is None:
                alone.append(row)
            else:
                lanes.setdefault(row.lane, []).append(row)
        await asyncio.gather(
            *(self._fast_lane(lane_rows, job) for lane_rows in lanes.values()),
            *(self._fast_one(id_of(row), job) for row in alone),
        )
        await asyncio.gather(*(self._fast_one(id_of(row), job) for row in rows if row.posted))

    async def _fast_lane(self, rows: list[SlackObject], job: _Job) -> None:
        for position, row in enumerate(rows):
            if await self._fast_one(id_of(row), job) != Outcome.SHOWN:
                for waiting in rows[position + 1 :]:
                    job.results[id_of(waiting)] = Outcome.WAITING
                    await self._hand_back(waiting)
                return

    async def _fast_one(self, row_id: int, job: _Job) -> Outcome:
        outcome: Outcome | None = None
        for _ in range(3):
            # One claim at a time per row in this process: two changes to one row committed
            # together must not see each other's claim as "someone else has it".
            async with self._claiming(row_id):
                running = self._inflight.get(row_id)
                # A render yet to look at `wanted` (after our change committed) shows our
                # change too: many clicks, one render, no claims of their own.
                covered = running is not None and row_id not in self.rows.looking
                ours = running is None
                if ours:
                    claimed = await take(
                        self.db,
                        id=row_id,
                        owner=self.owner,
                        now=self.clock(),
                        lease_seconds=self.lease_seconds,
                    )
                    running = self._start(claimed, from_poller=False) if claimed else None
            if running is None:
                break
            outcome = await asyncio.shield(running)
            if ours or covered:
                break  # our claim read `wanted` after our change committed: it is covered
            # A render that was running already may have finished its last look at `wanted`
            # just before our change: look again.
        if outcome is None:
            outcome = await self._settled(row_id)
        job.results[row_id] = outcome
        return outcome

    async def _settled(self, row_id: int) -> Outcome:
        """Why a row the fast path could not claim is not rendered here."""
        async with self.db.session() as session:
            current = await object_by_id(session, id=row_id)
        if current is None:
            log.warning("outbox: row %d does not exist", row_id)
            return Outcome.LOST
        if current.wanted <= current.shown:
            return Outcome.SHOWN
        if current.failed_at is not None:
            return Outcome.FAILED
        await self._hand_back(current)
        return Outcome.WAITING

    async def _hand_back(self, row: SlackObject) -> None:
        """A row `want` leased to us that must wait (its lane, its backoff): the pollers'."""
        row_id = id_of(row)
        if row.lease_owner == self.owner and row_id not in self._inflight:
            await release(self.db, id=row_id, owner=self.owner, lease_until=row.lease_until)

    @contextlib.asynccontextmanager
    async def _claiming(self, row_id: int) -> AsyncIterator[None]:
        entry = self._claim_locks.setdefault(row_id, (asyncio.Lock(), [0]))
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._claim_locks.pop(row_id, None)

    # ----- the poller -----

    async def start(self) -> None:
        """Start the poller: it takes up due rows (retries, rows whose owner died)."""
        if self._poller is not None:
            return
        self._stopping = False
        self._poller = asyncio.create_task(self._poll_forever(), name=f"outbox:{self.owner}")

    async def poll_once(self) -> int:
        """Claim as many due rows as there are free slots and start rendering them."""
        free = self.concurrency - len(self._inflight)
        if free <= 0 or self._stopping:
            return 0
        rows = await claim_ready(
            self.db,
            now=self.clock(),
            owner=self.owner,
            limit=free,
            lease_seconds=self.lease_seconds,
        )
        for row in rows:
            self._start(row, from_poller=True)
        return len(rows)

    async def _poll_forever(self) -> None:
        while not self._stopping:
            try:
                claimed = await self.poll_once()
            except Exception:
                # The database is away: try again next round; nothing is lost meanwhile.
                log.exception("outbox: poll failed")
                claimed = 0
            if claimed and len(self._inflight) < self.concurrency:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop polling and let running renders finish. Renders still running after `grace`
        are cancelled: their leases run out and any replica takes them over."""
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        running = set(self._inflight.values()) | self._jobs
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace)
        if late:
            log.warning("outbox: %d renders still running at shutdown; cancelled", len(late))
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def busy(self) -> int:
        """Renders and fast paths running in this process now."""
        return len(self._inflight) + len(self._jobs)

    async def idle(self, max_wait: float = 30.0) -> None:
        """Wait until nothing is rendering here (for tests and orderly shutdowns)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        while self._inflight or self._jobs:
            if loop.time() > deadline:
                raise TimeoutError("outbox still rendering")
            await asyncio.wait(
                set(self._inflight.values()) | self._jobs, timeout=deadline - loop.time()
            )

    # ----- one row -----

    def _start(self, row: SlackObject, *, from_poller: bool) -> asyncio.Task[Outcome]:
        row_id = id_of(row)
        running = self._inflight.get(row_id)
        if running is not None:
            return running
        task = asyncio.create_task(self.rows.run(row), name=f"outbox:{row.key}")
        self._inflight[row_id] = task

        def done(finished: asyncio.Task[Outcome]) -> None:
            self._inflight.pop(row_id, None)
            self.rows.looking.discard(row_id)
            if finished.cancelled():
                self.stats["cancelled"] += 1
            elif finished.exception() is not None:
                log.error(
                    "outbox: row %d (%s): render crashed",
                    row_id,
                    row.key,
                    exc_info=finished.exception(),
                )
                self.stats["crashed"] += 1
            else:
                self.stats[finished.result().value] += 1
            # A freed slot or a lane that moved on: the poller may find work at once.
            if from_poller or row.lane is not None:
                self._wake.set()

        task.add_done_callback(done)
        return task

    def _track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task
