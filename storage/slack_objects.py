"""The outbox: every Slack object the bot shows is a row, and Slack catches up with it (DESIGN §2).

A change says what Slack must show by calling `want` in its own transaction: the row is created
or its `wanted` bumped, so the change and the promise to show it commit together. After the
commit a renderer (bot/outbox.py) derives the object from stored state and posts or updates it;
`shown` records the `wanted` that render saw, so many changes coalesce into one render and a
retry always shows the latest truth.

The engine's steps take the `Database` and commit on their own (nothing holds a transaction
while Slack is called). Every state change is one UPDATE whose WHERE clause carries the expected
state: a lease (owner, until) fences writers, so a process that lost its lease (it stalled, and
another replica took the row over) can no longer record anything for it.

Lanes: posts with the same lane go out in id order. A row waits while an earlier row of its lane
is still unposted, unless that row failed for good (a broken post must not strand a meeting's
thread; the doctor shows it). Updates of posted rows never wait.

The purge: `objects_of_case` lists what to delete in Slack; `retire` first marks the rows so no
render brings one back (a render in flight deletes what it posts for a retired row); then the
purge deletes them in Slack and `forget`s the rows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import SlackObject
from storage.reminders import check_error_code, encode_payload
from storage.types import UTCDateTime, utcnow

# Long enough for one render (the engine gives up on a render well before), short enough that
# a dead process's rows are taken over within seconds.
DEFAULT_LEASE_SECONDS = 30.0
BACKOFF_BASE = timedelta(seconds=1)
BACKOFF_MAX = timedelta(seconds=60)
# Written by a claim that takes a row whose lease ran out (its owner died or stalled, or was
# stopped mid-render): that render may have posted without recording it, so the next render
# looks for the message first.
LEASE_EXPIRED = "lease_expired"

# Keys and lanes are ids joined by colons ("meeting:42:post:7"): never names or text.
_KEY = re.compile(r"^[A-Za-z0-9_.:+-]{1,200}$")
_KIND = re.compile(r"^[a-z0-9_.:-]{1,40}$")
_SLACK_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_TS = re.compile(r"^[0-9]{1,20}\.[0-9]{1,10}$")


# ----- writes in the caller's transaction -----


async def want(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    case_id: int | None,
    channel_id: str,
    thread_ts: str | None = None,
    parent_key: str | None = None,
    lane: str | None = None,
    payload: Mapping[str, Any] | None = None,
    owner: str | None = None,
    now: datetime,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> int:
    """Slack must show the latest state of object `key`: create its row or bump `wanted`; its id.

    Runs in the caller's transaction, so it commits with the change it shows. The row becomes due
    at once. With `owner`, the row is also leased to that engine (the fast path: the committing
    process renders it right after the commit and no poller takes it meanwhile) — unless another
    live owner is rendering it, which then renders again when it sees `wanted` moved on.

    `channel_id` is a channel, or a user id for that user's DM. `thread_ts` puts the post in a
    thread; `parent_key` in the thread of another object that may not be posted yet (give both
    the same lane so the parent goes first). On an existing row only `payload` may change (when
    given): a key names one object in one place.
    """
    _check_key(key, "key")
    if not _KIND.match(kind):
        raise ValueError("kind must be a short lowercase renderer name")
    if not _SLACK_ID.match(channel_id):
        raise ValueError("channel_id must be a Slack channel or user id")
    if thread_ts is not None and not _TS.match(thread_ts):
        raise ValueError("thread_ts must be a Slack message ts")
    if thread_ts is not None and parent_key is not None:
        raise ValueError("give thread_ts or parent_key, not both")
    for name, value in (("parent_key", parent_key), ("lane", lane), ("owner", owner)):
        if value is not None:
            _check_key(value, name)
    _check_now(now)
    params = {
        "p_key": key,
        "p_kind": kind,
        "p_case_id": case_id,
        "p_channel_id": channel_id,
        "p_thread_ts": thread_ts,
        "p_parent_key": parent_key,
        "p_lane": lane,
        "p_payload": encode_payload(payload),
        "p_now": now,
        "p_owner": owner,
        "p_lease_until": now + timedelta(seconds=lease_seconds) if owner else None,
    }
    statement = _want_statement(
        _dialect(session), leased=owner is not None, new_payload=payload is not None
    )
    result = await session.exec(statement, params=params)
    return int(result.scalar_one())


@functools.cache
def _want_statement(dialect: str, *, leased: bool, new_payload: bool) -> Any:
    """`want`'s upsert, built once per shape and dialect (it runs on every click)."""
    row = _table().c
    now = bindparam("p_now", type_=UTCDateTime())
    values: dict[str, Any] = {
        name: bindparam(f"p_{name}", type_=row[name].type)
        for name in ("key", "kind", "case_id", "channel_id", "thread_ts", "parent_key", "lane")
    }
    values.update(
        payload=bindparam("p_payload", type_=row.payload.type),
        wanted=1,
        shown=0,
        pending_since=now,
        attempts=0,
        next_try_at=now,
        lease_owner=bindparam("p_owner", type_=row.lease_owner.type),
        lease_until=bindparam("p_lease_until", type_=UTCDateTime()),
        created_at=now,
        updated_at=now,
    )
    changes: dict[str, Any] = {
        "wanted": row.wanted + 1,
        "next_try_at": now,
        "pending_since": func.coalesce(row.pending_since, now),
        # A change is a reason to try again what failed for good (the bot was re-invited).
        "failed_at": None,
        "updated_at": now,
    }
    if new_payload:
        changes["payload"] = values["payload"]
    if leased:
        owner, lease_until = values["lease_owner"], values["lease_until"]
        free = or_(row.lease_owner.is_(None), row.lease_until < now, row.lease_owner == owner)
        # An expired lease (anyone's, ours too) means a render that did not finish: it may
        # have posted without recording it.
        taken_over = and_(row.lease_owner.is_not(None), row.lease_until < now)
        changes["lease_owner"] = case((free, owner), else_=row.lease_owner)
        changes["lease_until"] = case((free, lease_until), else_=row.lease_until)
        changes["last_error"] = case((taken_over, LEASE_EXPIRED), else_=row.last_error)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_table())
        .values(**values)
        .on_conflict_do_update(index_elements=["key"], set_=changes)
        .returning(row.id)
    )


async def retire(session: AsyncSession, *, ids: Iterable[int], now: datetime) -> int:
    """Never render these objects again (the purge is about to delete them); how many.

    Committed before the purge calls Slack: a render in flight then finds its result refused and
    deletes what it posted, so nothing the purge deletes comes back.
    """
    id_list = list(ids)
    if not id_list:
        return 0
    statement = (
        update(SlackObject)
        .where(col(SlackObject.id).in_(id_list), col(SlackObject.deleted_at).is_(None))
        .values(deleted_at=now, updated_at=now)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


async def forget(session: AsyncSession, *, ids: Iterable[int]) -> int:
    """Delete the rows (after the purge deleted their objects in Slack); how many."""
    id_list = list(ids)
    if not id_list:
        return 0
    statement = delete(SlackObject).where(col(SlackObject.id).in_(id_list))
    result = await session.exec(statement)
    return int(result.rowcount)


# ----- reads -----


async def object_by_key(session: AsyncSession, *, key: str) -> SlackObject | None:
    query = select(SlackObject).where(col(SlackObject.key) == key)
    return (await session.exec(query)).first()


async def object_by_id(session: AsyncSession, *, id: int) -> SlackObject | None:
    return await session.get(SlackObject, id)


async def objects_of_case(session: AsyncSession, *, case_id: int) -> list[SlackObject]:
    """Every object of the case, posted or not, oldest first: the purge's list."""
    query = (
        select(SlackObject).where(col(SlackObject.case_id) == case_id).order_by(col(SlackObject.id))
    )
    return list((await session.exec(query)).all())


async def objects_in_lane(session: AsyncSession, *, lane: str) -> list[SlackObject]:
    """The objects of one lane (a meeting's thread), oldest first."""
    query = select(SlackObject).where(col(SlackObject.lane) == lane).order_by(col(SlackObject.id))
    return list((await session.exec(query)).all())


async def newest_in_lane(session: AsyncSession, *, lane: str, kind: str) -> SlackObject | None:
    """The newest object of `kind` in the lane (a meeting's current question)."""
    query = (
        select(SlackObject)
        .where(col(SlackObject.lane) == lane, col(SlackObject.kind) == kind)
        .order_by(col(SlackObject.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


@dataclass(frozen=True)
class Backlog:
    """What the doctor shows: how far Slack is behind the database."""

    due: int  # rows Slack is behind on that will be tried (now or after their backoff)
    oldest_due: datetime | None  # since when the longest-waiting of those has been behind
    failed: int  # rows that failed for good, until their next change
    failed_by_error: dict[str, int] = field(default_factory=dict)


async def backlog(session: AsyncSession) -> Backlog:
    live = (col(SlackObject.deleted_at).is_(None), col(SlackObject.wanted) > col(SlackObject.shown))
    due_query = select(func.count(), func.min(col(SlackObject.pending_since))).where(
        *live, col(SlackObject.failed_at).is_(None)
    )
    due, oldest = (await session.exec(due_query)).one()
    failed_query = (
        select(col(SlackObject.last_error), func.count())
        .where(*live, col(SlackObject.failed_at).is_not(None))
        .group_by(col(SlackObject.last_error))
    )
    by_error = {str(code): int(n) for code, n in (await session.exec(failed_query)).all()}
    return Backlog(
        due=int(due),
        oldest_due=oldest,
        failed=sum(by_error.values()),
        failed_by_error=by_error,
    )


# ----- the engine's steps, each committed on its own -----


async def claim_ready(
    db: Database,
    *,
    now: datetime,
    owner: str,
    limit: int,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ids: Sequence[int] | None = None,
) -> list[SlackObject]:
    """Lease up to `limit` rows Slack is behind on to `owner`, committed on return.

    Ready: `wanted > shown`, due, neither failed nor retired, not leased by a live owner, and for
    an unposted row in a lane, no earlier unposted row in that lane still to go. With `ids` (the
    fast path) only those rows, and rows this owner already leases (from `want`) count too;
    keep `ids` short (the engine passes one): it waits for rows locked by other writers.

    PostgreSQL: a MATERIALIZED CTE selects and locks the ids once (`FOR UPDATE SKIP LOCKED`, so
    concurrent claimers take disjoint rows without waiting), then the UPDATE joins it. A plain
    `IN (subquery LIMIT n)` can be planned as a semi-join that re-runs the subquery and claims
    far more than `limit` rows when statistics are stale. SQLite has one writer at a time: the
    UPDATE itself is the lock.
    """
    _check_key(owner, "owner")
    _check_now(now)
    if limit <= 0:
        return []
    params: dict[str, Any] = {
        "p_now": now,
        "p_owner": owner,
        "p_limit": limit,
        "p_lease_until": now + timedelta(seconds=lease_seconds),
    }
    if ids is not None:
        params["p_ids"] = list(ids)
    statement = _claim_statement(db.dialect, named=ids is not None)
    async with db.session() as session:
        result = await session.exec(statement, params=params)
        claimed: list[SlackObject] = list(result.scalars().all())
    claimed.sort(key=lambda r: (r.next_try_at, r.id))
    return claimed


@functools.cache
def _claim_statement(dialect: str, *, named: bool) -> Any:
    """`claim_ready`'s UPDATE, built once per dialect (the fast path runs it on every render):
    `named` — only the rows in `p_ids`, which may be leased to this owner already."""
    now = bindparam("p_now", type_=UTCDateTime())
    owner = bindparam("p_owner", type_=_table().c.lease_owner.type)
    candidate = aliased(SlackObject, name="candidate")
    earlier = aliased(SlackObject, name="earlier")
    lane_waits = exists().where(
        col(earlier.lane) == col(candidate.lane),
        col(earlier.id) < col(candidate.id),
        _unposted(earlier),
        col(earlier.wanted) > col(earlier.shown),
        col(earlier.failed_at).is_(None),
        col(earlier.deleted_at).is_(None),
    )
    ours = col(candidate.lease_owner) == owner if named else false()
    ready = (
        select(col(candidate.id))
        .where(
            col(candidate.wanted) > col(candidate.shown),
            col(candidate.failed_at).is_(None),
            col(candidate.deleted_at).is_(None),
            col(candidate.next_try_at) <= now,
            or_(col(candidate.lease_until).is_(None), col(candidate.lease_until) < now, ours),
            or_(col(candidate.lane).is_(None), ~_unposted(candidate), ~lane_waits),
        )
        .order_by(col(candidate.next_try_at), col(candidate.id))
        .limit(bindparam("p_limit", type_=Integer()))
    )
    if named:
        ready = ready.where(col(candidate.id).in_(bindparam("p_ids", expanding=True)))
    values = {
        "lease_owner": owner,
        "lease_until": bindparam("p_lease_until", type_=UTCDateTime()),
        "last_error": case(
            (
                and_(
                    col(SlackObject.lease_owner).is_not(None),
                    col(SlackObject.lease_until) < now,
                ),
                LEASE_EXPIRED,
            ),
            else_=col(SlackObject.last_error),
        ),
        "updated_at": now,
    }
    if dialect == "postgresql":
        # The fast path names its rows: it waits for a `want` still committing on one of them
        # instead of skipping it, or it would wrongly report that row as someone else's.
        locked = ready.with_for_update(skip_locked=not named, of=candidate).cte("ready")
        locked = locked.prefix_with("MATERIALIZED")
        statement = update(SlackObject).where(col(SlackObject.id) == locked.c.id)
    else:
        statement = update(SlackObject).where(col(SlackObject.id).in_(ready.scalar_subquery()))
    return (
        statement.values(**values)
        .returning(SlackObject)
        .execution_options(synchronize_session=False)
    )


async def take(
    db: Database,
    *,
    id: int,
    owner: str,
    now: datetime,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> SlackObject | None:
    """Lease this one row to `owner` if it is ready (the fast path, or rendering again after a
    change came in during a render); None when it is not ready or someone else has it."""
    claimed = await claim_ready(
        db, now=now, owner=owner, limit=1, lease_seconds=lease_seconds, ids=[id]
    )
    return claimed[0] if claimed else None


async def record_posted(
    db: Database,
    *,
    id: int,
    owner: str,
    ts: str | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    file_id: str | None = None,
    canvas_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Store what Slack returned for a post, at once; False when the row is no longer ours.

    `channel_id` is where Slack put it (a DM's id when the row named a user). A retired row is
    not ours either: the caller deletes what it just posted.
    """
    changes = {
        name: value
        for name, value in (
            ("ts", ts),
            ("channel_id", channel_id),
            ("thread_ts", thread_ts),
            ("file_id", file_id),
            ("canvas_id", canvas_id),
        )
        if value is not None
    }
    if not changes:
        raise ValueError("nothing to record")
    return await _owned_update(db, id, owner, {**changes, "updated_at": now or utcnow()})


async def record_removed(db: Database, *, id: int, owner: str, now: datetime | None = None) -> bool:
    """The renderer deleted the object in Slack (the state says it should not exist)."""
    changes = {"ts": None, "file_id": None, "canvas_id": None, "updated_at": now or utcnow()}
    return await _owned_update(db, id, owner, changes)


async def mark_shown(
    db: Database,
    *,
    id: int,
    owner: str,
    seen_wanted: int,
    now: datetime | None = None,
) -> int | None:
    """A render showed the state as of `seen_wanted`: record it and release the lease.

    Returns the row's `wanted` now — larger than `seen_wanted` when a change came in during the
    render (the row stays due; the caller may take it again) — or None when the row was no
    longer this owner's.
    """
    params = {"p_id": id, "p_owner": owner, "p_seen": seen_wanted, "p_now": now or utcnow()}
    async with db.session() as session:
        result = await session.exec(_mark_shown_statement(), params=params)
        wanted = result.scalar_one_or_none()
    return None if wanted is None else int(wanted)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try in a row: 1 s doubling to 60 s."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


async def mark_retry(
    db: Database,
    *,
    id: int,
    owner: str,
    error: str,
    now: datetime,
    retry_after: float | None = None,
) -> bool:
    """A try failed in a way a retry can fix: back off and release; False when not ours.

    The delay follows the row's own count (1 s doubling to 60 s), or Slack's `Retry-After`
    when that is longer.
    """
    check_error_code(error)
    _check_now(now)
    floor = timedelta(seconds=retry_after or 0)
    # attempts counts the failures before this one; the CASE keeps it one statement.
    steps = {n: now + max(retry_delay(n + 1), floor) for n in range(8)}
    next_try = case(
        {n: literal(at, UTCDateTime()) for n, at in steps.items()},
        value=col(SlackObject.attempts),
        else_=literal(now + max(BACKOFF_MAX, floor), UTCDateTime()),
    )
    changes = {
        "attempts": col(SlackObject.attempts) + 1,
        "next_try_at": next_try,
        "last_error": error,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
    }
    return await _owned_update(db, id, owner, changes)


async def mark_failed_permanently(
    db: Database,
    *,
    id: int,
    owner: str,
    error: str,
    now: datetime,
) -> bool:
    """A try failed in a way no retry fixes (channel_not_found, our own bug): record the code
    for the doctor and leave the row until its next change; False when not ours."""
    check_error_code(error)
    changes = {
        "attempts": col(SlackObject.attempts) + 1,
        "last_error": error,
        "failed_at": now,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
    }
    return await _owned_update(db, id, owner, changes)


async def release(db: Database, *, id: int, owner: str, lease_until: datetime | None) -> bool:
    """Give back a lease this owner holds but will not render now (a post whose lane waits).

    `lease_until` is the lease as the caller last saw it: when the owner has leased the row
    again since (another render of the same process claimed it), the newer lease stays.
    """
    if lease_until is None:
        return False
    params = {"p_id": id, "p_owner": owner, "p_lease_until": lease_until}
    async with db.session() as session:
        result = await session.exec(_release_statement(), params=params)
        return bool(result.rowcount)


# ----- helpers -----


@functools.cache
def _mark_shown_statement() -> Any:
    row = _table().c
    seen = bindparam("p_seen", type_=Integer())
    return (
        update(_table())
        .where(*_owned_by_params())
        .values(
            shown=case((row.shown < seen, seen), else_=row.shown),
            pending_since=case((row.wanted <= seen, None), else_=row.pending_since),
            attempts=0,
            last_error=None,
            failed_at=None,
            lease_owner=None,
            lease_until=None,
            updated_at=bindparam("p_now", type_=UTCDateTime()),
        )
        .returning(row.wanted)
    )


@functools.cache
def _release_statement() -> Any:
    row = _table().c
    return (
        update(_table())
        .where(
            row.id == bindparam("p_id", type_=Integer()),
            row.lease_owner == bindparam("p_owner", type_=row.lease_owner.type),
            row.lease_until == bindparam("p_lease_until", type_=UTCDateTime()),
        )
        .values(lease_owner=None, lease_until=None)
    )


def _owned_by_params() -> tuple[Any, ...]:
    row = _table().c
    return (
        row.id == bindparam("p_id", type_=Integer()),
        row.lease_owner == bindparam("p_owner", type_=row.lease_owner.type),
        row.deleted_at.is_(None),
    )


def _table() -> Any:
    return SlackObject.__table__  # type: ignore[attr-defined]  # SQLModel tables have one


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def _owned(id: int, owner: str) -> tuple[Any, ...]:
    return (
        col(SlackObject.id) == id,
        col(SlackObject.lease_owner) == owner,
        col(SlackObject.deleted_at).is_(None),
    )


async def _owned_update(db: Database, id: int, owner: str, changes: dict[str, Any]) -> bool:
    statement = update(SlackObject).where(*_owned(id, owner)).values(**changes)
    async with db.session() as session:
        result = await session.exec(statement)
        return bool(result.rowcount)


def _unposted(table: Any) -> Any:
    return and_(
        col(table.ts).is_(None), col(table.file_id).is_(None), col(table.canvas_id).is_(None)
    )


def _check_key(value: str, name: str) -> None:
    if not _KEY.match(value):
        raise ValueError(f"{name} must be ids joined by colons (1..200 characters), never text")


def _check_now(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
