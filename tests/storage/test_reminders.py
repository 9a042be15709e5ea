"""The reminder table: scheduling, claiming, retrying, moving and cancelling, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from flows.schedule import DEFAULT_HOURS, ReminderKind, next_occurrence, occurrence_key
from storage.db import Database
from storage.models import Case, Meeting
from storage.reminder_queue import (
    backoff,
    claim_due,
    expire_late,
    mark_failed,
    mark_sent,
    recover_stuck,
)
from storage.reminders import (
    MAX_ATTEMPTS,
    Reminder,
    ReminderStatus,
    cancel_reminders,
    meeting_dedupe_key,
    move_meeting_reminders,
    reminder_by_id,
    reminders_for,
    schedule_meeting_reminders,
    schedule_reminder,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)  # type: ignore[misc]


async def make_meeting(db: Database, *, at: datetime, code: str = "ZVH-2026-001") -> Meeting:
    async with db.session() as session:
        case = Case(code=code, phase="directe_veiligheid", channel_id="G1", created_by="U0")
        session.add(case)
        await session.flush()
        meeting = Meeting(
            case_id=case.id, phase="directe_veiligheid", scheduled_at=at, planned_by="U0"
        )
        session.add(meeting)
        await session.flush()
        return meeting


async def add(db: Database, key: str, *, due: datetime = NOW, **values: object) -> int:
    values.setdefault("user_id", "U1")
    values.setdefault("kind", ReminderKind.ACTION_DUE)
    async with db.session() as session:
        new_id = await schedule_reminder(session, due_at=due, dedupe_key=key, **values)  # type: ignore[arg-type]
    assert new_id is not None
    return new_id


async def get(db: Database, reminder_id: int) -> Reminder:
    async with db.session() as session:
        found = await reminder_by_id(session, reminder_id=reminder_id)
    assert found is not None
    return found


async def statuses(db: Database) -> dict[str, str]:
    async with db.session() as session:
        rows = (await session.exec(select(Reminder).order_by(col(Reminder.id)))).all()
    return {row.dedupe_key: row.status for row in rows}


# ----- scheduling -----


async def test_scheduling_twice_with_one_dedupe_key_keeps_one_reminder(db: Database) -> None:
    first = await add(db, "action:7:due")
    async with db.session() as session:
        again = await schedule_reminder(
            session,
            kind=ReminderKind.ACTION_DUE,
            due_at=NOW + timedelta(days=1),
            dedupe_key="action:7:due",
            user_id="U1",
        )
    assert again is None
    reminder = await get(db, first)
    assert reminder.due_at == NOW and reminder.status == ReminderStatus.PENDING


async def test_two_processes_scheduling_the_same_next_check_make_one_row(
    db: Database, second_db: Database
) -> None:
    async def insert(database: Database) -> int | None:
        async with database.session() as session:
            return await schedule_reminder(
                session, kind=ReminderKind.BODEMEIS_CHECK, due_at=NOW, dedupe_key="k", user_id="U1"
            )

    # Concurrently: the loser waits for the winner's transaction, then finds the key taken.
    results = await asyncio.gather(insert(db), insert(second_db))
    assert sorted(r is None for r in results) == [False, True]
    assert list((await statuses(db)).values()) == ["pending"]


@pytest.mark.parametrize(
    "payload",
    [{"note": "vader dronken gezien"}, {"naam": "Jan Jansen"}, {"x": 1.5}, {"bad key": 1}],
)
async def test_free_text_never_reaches_the_reminder_table(
    db: Database, payload: dict[str, object]
) -> None:
    async with db.session() as session:
        with pytest.raises(ValueError):
            await schedule_reminder(
                session,
                kind=ReminderKind.ACTION_DUE,
                due_at=NOW,
                dedupe_key="x",
                user_id="U1",
                payload=payload,
            )


async def test_ids_dates_and_flags_are_fine_in_the_payload(db: Database) -> None:
    reminder_id = await add(db, "k", payload={"occurrence": "2026-03-30", "round": 2, "late": True})
    assert (await get(db, reminder_id)).data == {
        "late": True,
        "occurrence": "2026-03-30",
        "round": 2,
    }


async def test_a_reminder_needs_exactly_one_recipient(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(ValueError):
            await schedule_reminder(session, kind=ReminderKind.MEETING, due_at=NOW, dedupe_key="k")
        with pytest.raises(ValueError):
            await schedule_reminder(
                session,
                kind=ReminderKind.MEETING,
                due_at=NOW,
                dedupe_key="k",
                user_id="U1",
                channel_id="G1",
            )


# ----- claiming -----


async def test_claim_takes_due_reminders_in_order_and_leaves_the_rest(db: Database) -> None:
    later = await add(db, "later", due=NOW - timedelta(minutes=1))
    earliest = await add(db, "earliest", due=NOW - timedelta(hours=2))
    await add(db, "future", due=NOW + timedelta(seconds=1))
    claimed = await claim_due(db, now=NOW, limit=10, lease_seconds=60)
    assert [r.id for r in claimed] == [earliest, later]
    assert all(r.status == ReminderStatus.SENDING and r.attempts == 1 for r in claimed)
    assert claimed[0].lease_until == NOW + timedelta(seconds=60)
    # Committed: a fresh read sees the claim, and a second claim gets nothing more.
    assert (await get(db, earliest)).status == ReminderStatus.SENDING
    assert await claim_due(db, now=NOW, limit=10) == []


async def test_claim_respects_the_batch_limit(db: Database) -> None:
    for n in range(5):
        await add(db, f"r{n}", due=NOW - timedelta(minutes=n))
    first = await claim_due(db, now=NOW, limit=3)
    second = await claim_due(db, now=NOW, limit=3)
    assert len(first) == 3 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}


async def test_a_sent_reminder_records_its_message(db: Database) -> None:
    reminder_id = await add(db, "k")
    [claimed] = await claim_due(db, now=NOW, limit=1)
    assert await mark_sent(db, claimed.id, "1700000000.000100", now=NOW)  # type: ignore[arg-type]
    sent = await get(db, reminder_id)
    assert (sent.status, sent.message_ts, sent.sent_at) == ("sent", "1700000000.000100", NOW)
    assert sent.lease_until is None
    assert await claim_due(db, now=NOW + timedelta(days=1), limit=1) == []


async def test_restart_between_scheduling_and_due_time_is_picked_up(
    db: Database, second_db: Database
) -> None:
    reminder_id = await add(db, "k", due=NOW + timedelta(hours=1))
    await db.dispose()  # the first process goes away
    assert await claim_due(second_db, now=NOW, limit=10) == []
    [claimed] = await claim_due(second_db, now=NOW + timedelta(hours=1), limit=10)
    assert claimed.id == reminder_id


# ----- failures and leases -----


async def test_failure_backs_off_then_fails_for_good_after_max_attempts(db: Database) -> None:
    reminder_id = await add(db, "k")
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        [claimed] = await claim_due(db, now=now, limit=1)
        assert claimed.attempts == attempt
        retry_at = backoff(claimed.attempts, now)
        status = await mark_failed(db, reminder_id, "ratelimited", retry_at, attempt=attempt)
        if attempt < MAX_ATTEMPTS:
            assert status == ReminderStatus.PENDING
            # Not before the backoff has passed...
            assert await claim_due(db, now=retry_at - timedelta(seconds=1), limit=1) == []
            now = retry_at
        else:
            assert status == ReminderStatus.FAILED
    failed = await get(db, reminder_id)
    assert (failed.status, failed.last_error, failed.attempts) == ("failed", "ratelimited", 5)
    assert await claim_due(db, now=now + timedelta(days=30), limit=1) == []


def test_backoff_doubles_and_is_capped() -> None:
    delays = [backoff(n, NOW) - NOW for n in (1, 2, 3, 10)]
    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
    ]


async def test_a_permanent_failure_fails_at_once(db: Database) -> None:
    reminder_id = await add(db, "k")
    await claim_due(db, now=NOW, limit=1)
    assert await mark_failed(db, reminder_id, "no_sender", None) == ReminderStatus.FAILED


async def test_error_codes_are_codes_not_content(db: Database) -> None:
    with pytest.raises(ValueError):
        await mark_failed(db, 1, "Could not reach Jan Jansen", None)


async def test_a_stuck_sending_row_is_recovered_after_its_lease(db: Database) -> None:
    reminder_id = await add(db, "k")
    await claim_due(db, now=NOW, limit=1, lease_seconds=120)
    # The process dies here. Within the lease nobody touches the row...
    assert await recover_stuck(db, NOW + timedelta(seconds=119)) == 0
    assert await claim_due(db, now=NOW + timedelta(seconds=119), limit=1) == []
    # ...after it, the row is pending again and the next claim sends it.
    assert await recover_stuck(db, NOW + timedelta(seconds=121)) == 1
    [again] = await claim_due(db, now=NOW + timedelta(seconds=121), limit=1)
    assert again.id == reminder_id and again.attempts == 2


async def test_a_late_failure_report_cannot_undo_a_newer_claim(db: Database) -> None:
    reminder_id = await add(db, "k")
    await claim_due(db, now=NOW, limit=1, lease_seconds=10)
    later = NOW + timedelta(seconds=11)
    await recover_stuck(db, later)
    await claim_due(db, now=later, limit=1)  # attempt 2, by another process
    # The first claimant finally reports its failure: it no longer owns the row.
    assert await mark_failed(db, reminder_id, "timeout", later, attempt=1) is None
    assert (await get(db, reminder_id)).status == ReminderStatus.SENDING


async def test_a_row_that_keeps_getting_stuck_fails_eventually(db: Database) -> None:
    reminder_id = await add(db, "k")
    now = NOW
    for _ in range(MAX_ATTEMPTS):
        assert await claim_due(db, now=now, limit=1, lease_seconds=10)
        now += timedelta(seconds=11)
        await recover_stuck(db, now)
    stuck = await get(db, reminder_id)
    assert (stuck.status, stuck.last_error) == ("failed", "lease_expired")


# ----- expiry -----


async def test_a_prep_dm_whose_meeting_already_started_expires_unsent(db: Database) -> None:
    meeting_at = NOW + timedelta(hours=1)
    meeting = await make_meeting(db, at=meeting_at)
    prep = await add(
        db,
        "prep",
        kind=ReminderKind.PREP,
        due=NOW,
        expires_at=meeting_at,
        meeting_id=meeting.id,
    )
    action = await add(db, "action", due=NOW)  # never expires
    # The bot was down from before the prep DM was due until after the meeting started.
    after_start = meeting_at + timedelta(minutes=5)
    assert await expire_late(db, after_start) == 1
    claimed = await claim_due(db, now=after_start, limit=10)
    assert [r.id for r in claimed] == [action]
    assert (await get(db, prep)).status == ReminderStatus.EXPIRED


async def test_claim_never_takes_an_expired_row_even_before_expire_runs(db: Database) -> None:
    await add(db, "meeting", kind=ReminderKind.MEETING, due=NOW, expires_at=NOW)
    assert await claim_due(db, now=NOW, limit=10) == []


# ----- meetings: plan, move, cancel -----


async def test_planning_a_meeting_schedules_one_reminder_per_invitee(db: Database) -> None:
    meeting_at = ams(2026, 3, 12, 14, 0)
    meeting = await make_meeting(db, at=meeting_at)
    async with db.session() as session:
        created = await schedule_meeting_reminders(
            session,
            case_id=meeting.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=meeting_at,
            invitees=["U1", "U2", "U1"],
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
            kinds=[ReminderKind.PREP, ReminderKind.MEETING],
        )
        # Planning again (a new invitee) adds only what is missing.
        again = await schedule_meeting_reminders(
            session,
            case_id=meeting.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=meeting_at,
            invitees=["U1", "U2", "U3"],
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
            kinds=[ReminderKind.PREP, ReminderKind.MEETING],
        )
        rows = await reminders_for(session, meeting_id=meeting.id)
    assert (created, again) == (4, 2)
    prep = {r.user_id: r.due_at for r in rows if r.kind == ReminderKind.PREP}
    assert prep == {u: ams(2026, 3, 9, 8, 0) for u in ("U1", "U2", "U3")}
    assert {r.due_at for r in rows if r.kind == ReminderKind.MEETING} == {ams(2026, 3, 12, 13, 0)}
    assert {r.expires_at for r in rows} == {meeting_at}


async def test_moving_a_meeting_moves_its_pending_reminders(db: Database) -> None:
    meeting_at = ams(2026, 3, 12, 14, 0)
    meeting = await make_meeting(db, at=meeting_at)
    async with db.session() as session:
        await schedule_meeting_reminders(
            session,
            case_id=meeting.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=meeting_at,
            invitees=["U1"],
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
            kinds=[ReminderKind.PREP, ReminderKind.MEETING],
        )
    new_time = ams(2026, 3, 19, 10, 0)  # a week later, Thursday 10:00
    async with db.session() as session:
        moved = await move_meeting_reminders(
            session,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=new_time,
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
        rows = {r.kind: r for r in await reminders_for(session, meeting_id=meeting.id)}
    assert moved == 2
    assert rows[ReminderKind.PREP].due_at == ams(2026, 3, 16, 8, 0)
    assert rows[ReminderKind.MEETING].due_at == ams(2026, 3, 19, 9, 0)
    assert rows[ReminderKind.MEETING].expires_at == new_time
    # The old meeting time passes: nothing is sent for it.
    assert await claim_due(db, now=ams(2026, 3, 12, 13, 30), limit=10) == []


async def test_moving_a_meeting_to_tomorrow_morning_drops_the_prep_dm(db: Database) -> None:
    meeting = await make_meeting(db, at=ams(2026, 3, 12, 14, 0))
    async with db.session() as session:
        await schedule_meeting_reminders(
            session,
            case_id=meeting.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=ams(2026, 3, 12, 14, 0),
            invitees=["U1"],
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
            kinds=[ReminderKind.PREP_NUDGE, ReminderKind.MEETING],
        )
        await move_meeting_reminders(
            session,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=ams(2026, 3, 3, 9, 0),
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
        rows = {r.kind: r for r in await reminders_for(session, meeting_id=meeting.id)}
    assert rows[ReminderKind.PREP_NUDGE].status == ReminderStatus.CANCELLED
    assert rows[ReminderKind.MEETING].status == ReminderStatus.PENDING
    assert rows[ReminderKind.MEETING].due_at == ams(2026, 3, 3, 8, 0)


async def test_a_reminder_already_sent_is_not_moved(db: Database) -> None:
    meeting = await make_meeting(db, at=NOW + timedelta(days=2))
    sent = await add(
        db,
        meeting_dedupe_key(ReminderKind.PREP, meeting_id=meeting.id, user_id="U1"),  # type: ignore[arg-type]
        kind=ReminderKind.PREP,
        meeting_id=meeting.id,
        expires_at=NOW + timedelta(days=2),
    )
    [claimed] = await claim_due(db, now=NOW, limit=1)
    await mark_sent(db, claimed.id, "1.0")  # type: ignore[arg-type]
    async with db.session() as session:
        await move_meeting_reminders(
            session,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=NOW + timedelta(days=9),
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    assert (await get(db, sent)).due_at == NOW


async def test_cancelling_hits_only_pending_rows_of_the_selection(db: Database) -> None:
    meeting = await make_meeting(db, at=NOW + timedelta(days=2))
    other = await make_meeting(db, at=NOW + timedelta(days=2), code="ZVH-2026-002")
    await add(db, "in-flight", kind=ReminderKind.MEETING, meeting_id=meeting.id, due=NOW)
    await claim_due(db, now=NOW, limit=1)
    await add(db, "prep", kind=ReminderKind.PREP, meeting_id=meeting.id, due=NOW + timedelta(1))
    await add(db, "meet", kind=ReminderKind.MEETING, meeting_id=meeting.id, due=NOW + timedelta(1))
    await add(db, "other", kind=ReminderKind.PREP, meeting_id=other.id, due=NOW + timedelta(1))
    async with db.session() as session:
        assert (
            await cancel_reminders(session, meeting_id=meeting.id, kinds=[ReminderKind.PREP])
        ) == 1
        assert await cancel_reminders(session, meeting_id=meeting.id) == 1
    assert await statuses(db) == {
        "in-flight": "sending",
        "prep": "cancelled",
        "meet": "cancelled",
        "other": "pending",
    }


async def test_closing_a_case_cancels_all_of_its_reminders(db: Database) -> None:
    meeting = await make_meeting(db, at=NOW + timedelta(days=2))
    await add(db, "a", case_id=meeting.case_id, agreement_id=11)
    await add(db, "b", case_id=meeting.case_id, meeting_id=meeting.id, kind=ReminderKind.MEETING)
    await add(db, "c", case_id=meeting.case_id, agreement_id=12, kind=ReminderKind.BODEMEIS_CHECK)
    async with db.session() as session:
        assert await cancel_reminders(session, agreement_id=11) == 1
        assert await cancel_reminders(session, case_id=meeting.case_id) == 2
    assert set((await statuses(db)).values()) == {"cancelled"}


async def test_cancel_without_a_selection_is_refused(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(ValueError):
            await cancel_reminders(session)


# ----- recurring bodemeis checks -----


async def test_weekly_check_series_stays_at_nine_local_across_both_clock_changes(
    db: Database,
) -> None:
    """Each sent check inserts its successor; the wall clock reads 09:00 every week."""
    due = ams(2026, 3, 16, 9, 0)
    await add(
        db,
        f"bodemeis:5:{occurrence_key(due, AMS)}",
        kind=ReminderKind.BODEMEIS_CHECK,
        due=due,
        agreement_id=5,
    )
    seen = []
    for _ in range(34):  # mid-March to early November
        [claimed] = await claim_due(db, now=due, limit=5)
        await mark_sent(db, claimed.id, "1.0")  # type: ignore[arg-type]
        seen.append(claimed.due_at.astimezone(AMS))
        due = next_occurrence(claimed.due_at, 7, time(9, 0), AMS)
        for _ in range(2):  # a retried or concurrent "insert next" is harmless
            async with db.session() as session:
                await schedule_reminder(
                    session,
                    kind=ReminderKind.BODEMEIS_CHECK,
                    due_at=due,
                    dedupe_key=f"bodemeis:5:{occurrence_key(due, AMS)}",
                    user_id="U1",
                    agreement_id=5,
                )
    assert {moment.time() for moment in seen} == {time(9, 0)}
    assert {m.tzname() for m in seen} == {"CET", "CEST"}
    assert seen[2].date().isoformat() == "2026-03-30" and seen[2].tzname() == "CEST"
    assert any(m.date().isoformat() == "2026-10-26" and m.tzname() == "CET" for m in seen)
    async with db.session() as session:
        assert len(await reminders_for(session, agreement_id=5)) == 35
