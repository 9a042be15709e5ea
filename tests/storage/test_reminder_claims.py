"""Claims on the reminder queue: never more than asked, held for a lease sized to the batch,
and only the claim that holds a row may record what happened to it (DESIGN §5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from flows.schedule import ReminderKind
from storage.db import Database, make_engine
from storage.migrate import migrate
from storage.reminder_queue import (
    LEASE_FLOOR_SECONDS,
    claim_due,
    extend_lease,
    lease_seconds_for,
    mark_failed,
    mark_obsolete,
    mark_sent,
    recover_stuck,
)
from storage.reminders import DEFAULT_LEASE_SECONDS, Reminder, ReminderStatus, reminder_by_id

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# What the poller ran before: a LIMIT inside `IN (…)`. Kept here to show what it did.
OLD_CLAIM = """
UPDATE reminder SET status = 'sending', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM reminder
    WHERE status = 'pending' AND due_at <= :now
    ORDER BY due_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
) AND status = 'pending'
RETURNING id
"""

# The plan stale statistics lead to on a real table, forced here so the test does not depend
# on what the planner guesses today: a nested-loop semi-join whose inner side (the LIMIT …
# FOR UPDATE SKIP LOCKED subquery) is re-run for every outer row. Each re-run skips the rows
# this UPDATE already changed, so each run brings up the next row, and the claim eats the
# whole backlog.
STALE_PLANNER = {
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
    "enable_material": "off",
    "enable_hashagg": "off",
    "enable_sort": "off",
}


async def add_due(db: Database, count: int, *, first_due: datetime = NOW) -> None:
    """`count` due reminders, scheduled in due order (ids rise with due times, as a backlog
    piles up), in one INSERT."""
    rows = [
        {
            "kind": ReminderKind.ACTION_DUE.value,
            "status": ReminderStatus.PENDING.value,
            "due_at": first_due - timedelta(seconds=count - n),
            "attempts": 0,
            "user_id": "U1",
            "dedupe_key": f"backlog:{n}",
            "payload": "{}",
            "created_at": NOW,
        }
        for n in range(count)
    ]
    async with db.session() as session:
        await session.exec(insert(Reminder), params=rows)  # type: ignore[call-overload]


async def get(db: Database, reminder_id: int) -> Reminder:
    async with db.session() as session:
        found = await reminder_by_id(session, reminder_id=reminder_id)
    assert found is not None
    return found


async def count(db: Database, status: ReminderStatus) -> int:
    async with db.session() as session:
        result = await session.exec(  # type: ignore[call-overload]
            text("SELECT count(*) FROM reminder WHERE status = :s"), params={"s": status.value}
        )
        return int(result.scalar_one())


# ----- at most the limit -----


async def test_a_claim_on_a_backlog_of_500_takes_exactly_its_limit(db: Database) -> None:
    await add_due(db, 500)
    first = await claim_due(db, now=NOW, limit=50)
    second = await claim_due(db, now=NOW, limit=50)
    assert (len(first), len(second)) == (50, 50)
    assert not {r.id for r in first} & {r.id for r in second}
    assert await count(db, ReminderStatus.SENDING) == 100
    assert await count(db, ReminderStatus.PENDING) == 400


async def test_two_processes_claiming_at_once_take_disjoint_batches_within_their_limits(
    db: Database, second_db: Database
) -> None:
    await add_due(db, 120)
    batches = await asyncio.gather(
        *(claim_due(database, now=NOW, limit=50) for database in (db, second_db, db, second_db))
    )
    sizes = sorted(len(batch) for batch in batches)
    ids = [r.id for batch in batches for r in batch]
    assert all(size <= 50 for size in sizes) and sum(sizes) == 120
    assert len(ids) == len(set(ids))  # nobody got a row twice


@pytest.fixture
async def stale_pg(
    pg_schema_url: tuple[str, str],
) -> AsyncIterator[Database]:
    """A migrated PostgreSQL schema whose reminder table was ANALYZEd while empty, on an
    engine whose planner takes the nested-loop semi-join stale statistics lead to."""
    url, schema = pg_schema_url
    plain = Database(make_engine(url, schema=schema))
    await migrate(plain.engine)
    async with plain.session() as session:
        await session.exec(text("ANALYZE reminder"))  # type: ignore[call-overload]
    await plain.dispose()
    stale = Database(make_engine(url, schema=schema, server_settings=STALE_PLANNER))
    yield stale
    await stale.dispose()


async def test_stale_statistics_cannot_make_a_claim_take_the_whole_backlog(
    stale_pg: Database,
) -> None:
    db = stale_pg
    await add_due(db, 500)
    # The old statement, in a transaction that is rolled back: the plan re-runs the LIMIT
    # subquery inside a nested loop, and 500 rows come back for a limit of 50.
    async with db.engine.connect() as conn:
        plan = "\n".join(
            row[0]
            for row in await conn.execute(text("EXPLAIN " + OLD_CLAIM), {"now": NOW, "limit": 50})
        )
        old = (await conn.execute(text(OLD_CLAIM), {"now": NOW, "limit": 50})).all()
        await conn.rollback()
    assert "Nested Loop Semi Join" in plan and "LockRows" in plan, plan
    assert len(old) == 500
    # The claim the poller runs now, on the same planner: 50, then the next 50.
    first = await claim_due(db, now=NOW, limit=50)
    second = await claim_due(db, now=NOW, limit=50)
    assert (len(first), len(second)) == (50, 50)
    assert await count(db, ReminderStatus.SENDING) == 100


# ----- leases sized to the batch -----


def test_a_lease_grows_with_the_batch_and_stays_within_the_ceiling() -> None:
    assert lease_seconds_for(1) == LEASE_FLOOR_SECONDS + 0.5
    assert lease_seconds_for(50) == 35.0  # the poller's batch: half a minute, not five
    assert lease_seconds_for(10_000) == DEFAULT_LEASE_SECONDS
    assert lease_seconds_for(50, ceiling=20) == 20


async def test_a_claim_holds_its_rows_as_long_as_its_batch_needs(db: Database) -> None:
    await add_due(db, 80)
    batch = await claim_due(db, now=NOW, limit=50)
    small = await claim_due(db, now=NOW, limit=50)
    assert {r.lease_until for r in batch} == {NOW + timedelta(seconds=35)}
    assert {r.lease_until for r in small} == {NOW + timedelta(seconds=lease_seconds_for(30))}
    # What is stored is what was returned.
    assert (await get(db, batch[0].id)).lease_until == NOW + timedelta(seconds=35)  # type: ignore[arg-type]


async def test_a_dead_process_s_batch_comes_back_within_seconds(
    db: Database, second_db: Database
) -> None:
    await add_due(db, 50)
    dead = await claim_due(db, now=NOW, limit=50, owner="host-a:101")
    assert {r.claimed_by for r in dead} == {"host-a:101"}
    # host-a is killed. host-b polls every few seconds and takes the batch over once the
    # lease is past: 35 s after the claim, not 300.
    now = NOW
    while not await recover_stuck(second_db, now):
        now += timedelta(seconds=5)
    assert now - NOW <= timedelta(seconds=40)
    taken = await claim_due(second_db, now=now, limit=50, owner="host-b:202")
    assert {r.id for r in taken} == {r.id for r in dead}
    assert all(r.maybe_posted and r.attempts == 2 for r in taken)
    assert {r.claimed_by for r in taken} == {"host-b:202"}


async def test_a_slow_sender_can_extend_its_lease(db: Database) -> None:
    await add_due(db, 3)
    claimed = await claim_due(db, now=NOW, limit=3)
    token = claimed[0].claim_token
    assert token is not None and {r.claim_token for r in claimed} == {token}
    assert await mark_sent(db, claimed[0].id, "1.1", claim_token=token, now=NOW)  # type: ignore[arg-type]
    # Slack is rate limiting: the two rows still being sent are held another minute.
    assert await extend_lease(db, claim_token=token, until=NOW + timedelta(minutes=1)) == 2
    assert await recover_stuck(db, NOW + timedelta(seconds=59)) == 0
    assert await recover_stuck(db, NOW + timedelta(seconds=61)) == 2


# ----- only the claim that holds a row records its outcome -----


async def _lose_the_row(db: Database, second_db: Database) -> tuple[Reminder, Reminder]:
    """Process A claims a reminder and stalls past its lease; process B recovers and claims
    it again. Returns (A's claim, B's claim)."""
    await add_due(db, 1)
    [a] = await claim_due(db, now=NOW, limit=1, owner="a")
    later = NOW + timedelta(seconds=lease_seconds_for(1) + 1)
    assert await recover_stuck(second_db, later) == 1
    [b] = await claim_due(second_db, now=later, limit=1, owner="b")
    assert a.id == b.id and a.claim_token != b.claim_token
    return a, b


async def test_a_late_mark_sent_from_a_lost_claim_changes_nothing(
    db: Database, second_db: Database
) -> None:
    a, b = await _lose_the_row(db, second_db)
    assert a.id is not None
    # A finally hears back from Slack and tries to record its send: the row is B's now.
    assert not await mark_sent(db, a.id, "1700000000.000100", claim_token=a.claim_token, now=NOW)
    row = await get(db, a.id)
    assert (row.status, row.message_ts, row.claim_token) == ("sending", None, b.claim_token)
    # Nor can A's failure or obsolescence reports touch it.
    assert await mark_failed(db, a.id, "timeout", NOW, claim_token=a.claim_token) is None
    assert not await mark_obsolete(db, a.id, "meeting_gone", claim_token=a.claim_token)
    assert (await get(db, a.id)).status == ReminderStatus.SENDING
    # B records its own send.
    assert await mark_sent(second_db, a.id, "1700000000.000200", claim_token=b.claim_token)
    row = await get(db, a.id)
    assert (row.status, row.message_ts) == ("sent", "1700000000.000200")


async def test_a_late_mark_sent_before_anyone_claimed_again_is_recorded(db: Database) -> None:
    await add_due(db, 1)
    [a] = await claim_due(db, now=NOW, limit=1)
    assert a.id is not None
    later = NOW + timedelta(seconds=lease_seconds_for(1) + 1)
    await recover_stuck(db, later)  # pending again, nobody has taken it yet
    # The message did go out: recording it now spares a second DM.
    assert await mark_sent(db, a.id, "1700000000.000300", claim_token=a.claim_token, now=later)
    assert (await get(db, a.id)).status == ReminderStatus.SENT
    assert await claim_due(db, now=later, limit=1) == []


async def test_a_timeout_leaves_a_marker_for_the_next_claim(db: Database) -> None:
    await add_due(db, 1)
    [first] = await claim_due(db, now=NOW, limit=1)
    assert first.id is not None and not first.maybe_posted
    status = await mark_failed(
        db, first.id, "exc_timeouterror", NOW, claim_token=first.claim_token, maybe_posted=True
    )
    assert status == ReminderStatus.PENDING
    [second] = await claim_due(db, now=NOW, limit=1)
    assert second.maybe_posted  # look for the first attempt's DM before posting again
    # A plain Slack refusal later does not clear the doubt about the first attempt.
    await mark_failed(db, first.id, "ratelimited", NOW, claim_token=second.claim_token)
    [third] = await claim_due(db, now=NOW, limit=1)
    assert third.maybe_posted and third.attempts == 3
