"""The outbox table: wanting, claiming, lanes, leases, retries and the purge's list, on both
backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import Database
from storage.models import Case, SlackObject
from storage.slack_objects import (
    LEASE_EXPIRED,
    backlog,
    claim_ready,
    forget,
    mark_failed_permanently,
    mark_retry,
    mark_shown,
    object_by_id,
    object_by_key,
    objects_of_case,
    record_posted,
    release,
    retire,
    retry_delay,
    want,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
A, B = "bot-a:1:aaaa", "bot-b:2:bbbb"


async def add(db: Database, key: str, *, now: datetime = NOW, **values: Any) -> int:
    values.setdefault("kind", "toy")
    values.setdefault("case_id", None)
    values.setdefault("channel_id", "C0CASUSDEMO")
    async with db.session() as session:
        return await want(session, key=key, now=now, **values)


async def get(db: Database, row_id: int) -> SlackObject:
    async with db.session() as session:
        found = await object_by_id(session, id=row_id)
    assert found is not None
    return found


async def make_case(db: Database, code: str = "ZVH-2026-001") -> int:
    async with db.session() as session:
        case = Case(
            code=code, phase="directe_veiligheid", channel_id="C0CASUSDEMO", created_by="U0"
        )
        session.add(case)
        await session.flush()
        assert case.id is not None
        return case.id


async def claim(db: Database, owner: str = A, *, now: datetime = NOW, **kw: Any) -> list[int]:
    kw.setdefault("limit", 100)
    return [r.id or 0 for r in await claim_ready(db, now=now, owner=owner, **kw)]


# ----- want -----


async def test_want_creates_the_row_then_each_change_bumps_wanted(db: Database) -> None:
    first = await add(db, "meeting:1:parent", payload={"meeting": 1})
    row = await get(db, first)
    assert (row.wanted, row.shown, row.ts, row.pending_since) == (1, 0, None, NOW)
    later = NOW + timedelta(seconds=5)
    again = await add(db, "meeting:1:parent", now=later, payload={"meeting": 1, "round": 2})
    assert again == first
    row = await get(db, first)
    assert row.wanted == 2 and row.next_try_at == later
    assert row.pending_since == NOW  # behind since the first change, not the latest
    assert row.payload == '{"meeting":1,"round":2}'


async def test_a_key_names_one_object_in_one_place(db: Database) -> None:
    first = await add(db, "case:3:plan", channel_id="C0CASUSDEMO")
    await add(db, "case:3:plan", channel_id="C0ELSEWHERE")
    assert (await get(db, first)).channel_id == "C0CASUSDEMO"


@pytest.mark.parametrize(
    "values",
    [
        {"key": "note:Jan Jansen"},
        {"key": "x" * 201},
        {"payload": {"note": "vader dronken gezien"}},
        {"kind": "Toy Renderer"},
        {"channel_id": "#casus-demo"},
        {"thread_ts": "yesterday"},
        {"lane": "de vergadering"},
    ],
)
async def test_free_text_never_reaches_the_outbox(db: Database, values: dict[str, Any]) -> None:
    values.setdefault("key", "k")
    with pytest.raises(ValueError):
        await add(db, **values)
    async with db.session() as session:
        assert await object_by_key(session, key="k") is None


async def test_a_change_committed_with_a_failure_rolls_back_its_want(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await want(
                session, key="k", kind="toy", case_id=None, channel_id="C0CASUSDEMO", now=NOW
            )
            raise RuntimeError("the business change failed")
    assert await claim(db) == []


# ----- claiming -----


async def test_a_claim_leases_ready_rows_and_commits(db: Database) -> None:
    first, second = await add(db, "a"), await add(db, "b")
    await add(db, "later", now=NOW + timedelta(seconds=10))  # due only at its next_try_at
    assert await claim(db, lease_seconds=30) == [first, second]
    row = await get(db, first)
    assert (row.lease_owner, row.lease_until) == (A, NOW + timedelta(seconds=30))
    assert await claim(db, B) == []  # leased by a live owner


async def test_a_dead_owners_rows_are_taken_over_and_marked_for_a_lookup(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db, A, lease_seconds=10)
    assert await claim(db, B, now=NOW + timedelta(seconds=9)) == []
    assert await claim(db, B, now=NOW + timedelta(seconds=11)) == [row_id]
    taken = await get(db, row_id)
    assert (taken.lease_owner, taken.last_error) == (B, LEASE_EXPIRED)


async def test_the_fast_path_lease_from_want_keeps_pollers_off(db: Database) -> None:
    row_id = await add(db, "a", owner=A)
    assert await claim(db, B) == []
    assert await claim(db, A) == []  # a poller never takes what its own fast path holds
    assert await claim(db, A, ids=[row_id]) == [row_id]
    assert (await get(db, row_id)).last_error is None  # nothing can have been posted yet


async def test_a_render_that_outlived_its_own_lease_is_looked_for_too(db: Database) -> None:
    row_id = await add(db, "a", owner=A)  # the fast path was stopped mid-render
    assert await claim(db, A, now=NOW + timedelta(minutes=1)) == [row_id]
    assert (await get(db, row_id)).last_error == LEASE_EXPIRED


async def test_want_does_not_steal_a_row_another_owner_is_rendering(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db, B)
    await add(db, "a", owner=A)
    row = await get(db, row_id)
    assert row.lease_owner == B and row.wanted == 2
    assert await claim(db, A, ids=[row_id]) == []


async def test_released_rows_go_back_to_the_pollers(db: Database) -> None:
    row_id = await add(db, "a", owner=A)
    seen = (await get(db, row_id)).lease_until
    assert not await release(db, id=row_id, owner=B, lease_until=seen)
    assert await release(db, id=row_id, owner=A, lease_until=seen)
    assert await claim(db, B) == [row_id]


async def test_a_release_never_drops_a_lease_taken_again_since(db: Database) -> None:
    row_id = await add(db, "a", owner=A)
    seen = (await get(db, row_id)).lease_until
    await claim(db, A, now=NOW + timedelta(seconds=1), ids=[row_id])  # rendering it after all
    assert not await release(db, id=row_id, owner=A, lease_until=seen)
    assert (await get(db, row_id)).lease_owner == A


async def test_claims_never_exceed_their_limit(db: Database) -> None:
    ids = [await add(db, f"r:{n}") for n in range(5)]
    first, second = await claim(db, A, limit=3), await claim(db, B, limit=3)
    assert len(first) == 3 and len(second) == 2
    assert sorted(first + second) == ids


async def test_500_due_rows_and_stale_statistics_still_claim_only_the_limit(
    db: Database,
) -> None:
    if db.dialect == "postgresql":
        # Statistics that say "empty", and no autovacuum to correct them: the planner's view
        # when a backlog builds up quickly.
        async with db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                text("ALTER TABLE slack_object SET (autovacuum_enabled = false)")
            )
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE slack_object"))
    async with db.session() as session:
        for n in range(500):
            await want(
                session, key=f"r:{n}", kind="toy", case_id=None, channel_id="C0CASUSDEMO", now=NOW
            )
    claimed = await claim(db, limit=50)
    assert len(claimed) == 50
    async with db.session() as session:
        leased = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT count(*) FROM slack_object WHERE lease_owner IS NOT NULL")
            )
        ).scalar_one()
    assert leased == 50


async def test_two_concurrent_claimers_get_disjoint_rows(db: Database, second_db: Database) -> None:
    async with db.session() as session:
        for n in range(60):
            await want(
                session, key=f"r:{n}", kind="toy", case_id=None, channel_id="C0CASUSDEMO", now=NOW
            )
    first, second = await asyncio.gather(claim(db, A, limit=40), claim(second_db, B, limit=40))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60


# ----- lanes -----


async def test_posts_of_one_lane_go_out_one_at_a_time_in_order(db: Database) -> None:
    first = await add(db, "meeting:1:parent", lane="meeting:1")
    second = await add(db, "meeting:1:post:1", lane="meeting:1", parent_key="meeting:1:parent")
    third = await add(db, "meeting:1:post:2", lane="meeting:1", parent_key="meeting:1:parent")
    other = await add(db, "meeting:2:parent", lane="meeting:2")
    assert await claim(db) == [first, other]
    assert await claim(db, B, ids=[second, third]) == []
    # Posted (even before it is marked shown): the next post of the lane may go.
    assert await record_posted(db, id=first, owner=A, ts="1700000000.000100")
    assert await claim(db, B) == [second]
    assert await record_posted(db, id=second, owner=B, ts="1700000000.000200")
    assert await claim(db, B) == [third]


async def test_a_failing_post_holds_its_lane_but_not_updates_of_earlier_posts(
    db: Database,
) -> None:
    parent = await add(db, "meeting:1:parent", lane="meeting:1")
    await claim(db)
    await record_posted(db, id=parent, owner=A, ts="1700000000.000100")
    await mark_shown(db, id=parent, owner=A, seen_wanted=1)
    post = await add(db, "meeting:1:post:1", lane="meeting:1")
    later = await add(db, "meeting:1:post:2", lane="meeting:1")
    assert await claim(db) == [post]
    await mark_retry(db, id=post, owner=A, error="ratelimited", now=NOW)
    await add(db, "meeting:1:parent")  # the parent shows a new count
    # The retry is not due yet, the later post waits for it, the parent's update goes.
    assert await claim(db) == [parent]
    soon = NOW + timedelta(seconds=1)
    assert await claim(db, now=soon) == [post]
    assert (await get(db, later)).lease_owner is None


async def test_a_post_that_failed_for_good_does_not_strand_its_lane(db: Database) -> None:
    broken = await add(db, "meeting:1:post:1", lane="meeting:1")
    after = await add(db, "meeting:1:post:2", lane="meeting:1")
    await claim(db, limit=1)
    await mark_failed_permanently(db, id=broken, owner=A, error="invalid_blocks", now=NOW)
    assert await claim(db) == [after]


# ----- leases fence late writers -----


async def test_a_writer_that_lost_its_lease_records_nothing(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db, A, lease_seconds=10)
    late = NOW + timedelta(seconds=11)
    assert await claim(db, B, now=late) == [row_id]
    assert not await record_posted(db, id=row_id, owner=A, ts="1700000000.000100")
    assert await mark_shown(db, id=row_id, owner=A, seen_wanted=1) is None
    assert not await mark_retry(db, id=row_id, owner=A, error="timeout", now=late)
    assert not await mark_failed_permanently(db, id=row_id, owner=A, error="x", now=late)
    row = await get(db, row_id)
    assert (row.ts, row.shown, row.attempts, row.lease_owner) == (None, 0, 0, B)
    assert await record_posted(db, id=row_id, owner=B, ts="1700000000.000200")
    assert await mark_shown(db, id=row_id, owner=B, seen_wanted=1) == 1
    row = await get(db, row_id)
    assert (row.ts, row.shown, row.lease_owner, row.pending_since) == (
        "1700000000.000200",
        1,
        None,
        None,
    )


async def test_a_change_during_the_render_leaves_the_row_due(db: Database) -> None:
    row_id = await add(db, "a")
    [row] = await claim_ready(db, now=NOW, owner=A, limit=1)
    await add(db, "a", now=NOW + timedelta(seconds=1))  # a vote while Slack was being called
    assert await mark_shown(db, id=row_id, owner=A, seen_wanted=row.wanted) == 2
    again = await get(db, row_id)
    assert (again.shown, again.wanted, again.pending_since) == (1, 2, NOW)
    assert await claim(db, B, now=NOW + timedelta(seconds=1)) == [row_id]


# ----- retries and failures -----


def test_retries_back_off_from_one_second_doubling_to_a_minute() -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_each_failed_try_waits_longer(db: Database) -> None:
    row_id = await add(db, "a")
    now, waits = NOW, []
    for _ in range(8):
        assert await claim(db, now=now) == [row_id]
        assert await mark_retry(db, id=row_id, owner=A, error="ratelimited", now=now)
        row = await get(db, row_id)
        waits.append((row.next_try_at - now).total_seconds())
        assert await claim(db, now=row.next_try_at - timedelta(milliseconds=1)) == []
        now = row.next_try_at
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert (row.attempts, row.last_error, row.lease_owner) == (8, "ratelimited", None)


async def test_slacks_retry_after_is_honoured_when_longer(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db)
    await mark_retry(db, id=row_id, owner=A, error="ratelimited", now=NOW, retry_after=30)
    assert (await get(db, row_id)).next_try_at == NOW + timedelta(seconds=30)


async def test_error_codes_are_codes_not_content(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db)
    with pytest.raises(ValueError):
        await mark_retry(db, id=row_id, owner=A, error="Could not post for Jan", now=NOW)


async def test_a_permanent_failure_waits_for_the_next_change(db: Database) -> None:
    row_id = await add(db, "a")
    await claim(db)
    assert await mark_failed_permanently(db, id=row_id, owner=A, error="channel_not_found", now=NOW)
    assert await claim(db, now=NOW + timedelta(days=1)) == []
    async with db.session() as session:
        report = await backlog(session)
    assert (report.due, report.failed, report.failed_by_error) == (
        0,
        1,
        {"channel_not_found": 1},
    )
    await add(db, "a", now=NOW + timedelta(days=1))  # the admin re-invited the bot; a change
    assert await claim(db, now=NOW + timedelta(days=1)) == [row_id]


async def test_the_backlog_tells_the_doctor_how_far_slack_is_behind(db: Database) -> None:
    async with db.session() as session:
        assert (await backlog(session)).due == 0
    await add(db, "old", now=NOW - timedelta(minutes=5))
    await add(db, "new")
    shown = await add(db, "done")
    await claim(db, ids=[shown])
    await mark_shown(db, id=shown, owner=A, seen_wanted=1)
    async with db.session() as session:
        report = await backlog(session)
    assert (report.due, report.oldest_due, report.failed) == (2, NOW - timedelta(minutes=5), 0)


# ----- the purge's list -----


async def test_the_purge_lists_retires_and_forgets_a_cases_objects(db: Database) -> None:
    case_id = await make_case(db)
    other_case = await make_case(db, "ZVH-2026-002")
    posted = await add(db, "case:1:trend", case_id=case_id)
    pending = await add(db, "case:1:plan", case_id=case_id)
    await add(db, "case:2:plan", case_id=other_case)
    await add(db, "home:U0PETRA", channel_id="U0PETRA")
    await claim(db, ids=[posted, pending])
    await record_posted(db, id=posted, owner=A, ts="1700000000.000100")
    async with db.session() as session:
        objects = await objects_of_case(session, case_id=case_id)
        assert [o.id for o in objects] == [posted, pending]
        assert await retire(session, ids=[o.id for o in objects if o.id], now=NOW) == 2
    # A render in flight can no longer record, and nothing retired is claimed again.
    assert not await record_posted(db, id=pending, owner=A, ts="1700000000.000200")
    await add(db, "case:1:plan", case_id=case_id, now=NOW + timedelta(seconds=1))
    assert await claim(db, B, now=NOW + timedelta(minutes=5), ids=[posted, pending]) == []
    async with db.session() as session:
        assert await forget(session, ids=[posted, pending]) == 2
    async with db.session() as session:
        assert await objects_of_case(session, case_id=case_id) == []
        assert len(await objects_of_case(session, case_id=other_case)) == 1


async def test_the_migration_creates_exactly_the_table_the_model_describes(db: Database) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert [d for d in diff if "slack_object" in repr(d)] == []
