"""Escalations with an owner, on SQLite and PostgreSQL: the first "Ik pak dit op" wins, one
nobody picks up reaches both regisseurs after four working hours and again at the end of the
next working day — exactly once each, across restarts — and resolving records what was done."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.schedule import ReminderKind
from storage.db import Database
from storage.escalations import (
    EscalationKind,
    Resolution,
    escalation_by_id,
    open_escalations,
    pick_up,
    resolve,
)
from storage.reminders import ReminderStatus
from tests.storage.case_life_steps import (
    KARIN,
    MO,
    PETRA,
    SANNE,
    ams,
    audit_actions,
    bodemeis,
    deliver_due,
    escalate,
    new_case,
    pending,
    raw,
    reminders,
    wall,
)

PICKUP, AGAIN = ReminderKind.ESCALATION_PICKUP, ReminderKind.ESCALATION_PICKUP_AGAIN


async def raised(db: Database, *, now: datetime) -> tuple[int, int]:
    """A case, a bodemeis, and its "niet nageleefd" escalation raised at `now`."""
    case = await new_case(db)
    agreement_id = await bodemeis(db, case)
    escalation_id = await raise_in(db, case.case_id, agreement_id, now)
    return case.case_id, escalation_id


async def raise_in(
    db: Database,
    case_id: int,
    agreement_id: int,
    now: datetime,
    occurrence: str = "2027-03-08",
) -> int:
    async with db.session() as session:
        return await escalate(
            session,
            case_id,
            agreement_id,
            at=now,
            occurrence=occurrence,
            kind=EscalationKind.BODEMEIS_NOT_MET,
            raised_by=SANNE,
        )


@pytest.mark.parametrize(
    ("raised_at", "first", "again"),
    [
        # Tuesday morning: four hours later the same day; the next day near closing.
        (ams(2027, 3, 9, 9, 30), "Tue 2027-03-09 13:30", "Wed 2027-03-10 17:00"),
        # Friday 16:00: two hours on Friday, two on Monday.
        (ams(2027, 3, 5, 16), "Mon 2027-03-08 10:00", "Tue 2027-03-09 17:00"),
        # Saturday: the clock starts on Monday morning.
        (ams(2027, 3, 6, 11), "Mon 2027-03-08 12:00", "Tue 2027-03-09 17:00"),
        # Across the clock change (Sunday 28 March): wall-clock hours still count.
        (ams(2027, 3, 26, 16), "Mon 2027-03-29 10:00", "Tue 2027-03-30 17:00"),
        # Exactly four hours before closing: the DM comes at the next opening, not at 18:00.
        (ams(2027, 3, 9, 14), "Wed 2027-03-10 08:00", "Thu 2027-03-11 17:00"),
    ],
)
async def test_an_escalation_nobody_picks_up_is_timed_in_working_hours_for_both_regisseurs(
    db: Database, raised_at: datetime, first: str, again: str
) -> None:
    _, escalation_id = await raised(db, now=raised_at)
    assert await pending(db, PICKUP) == [(PETRA, first), (KARIN, first)]
    assert await pending(db, AGAIN) == [(PETRA, again), (KARIN, again)]
    assert {r.escalation_id for r in await reminders(db)} >= {escalation_id}


async def test_raising_again_finds_the_same_escalation_and_adds_no_reminders(
    db: Database,
) -> None:
    case = await new_case(db)
    agreement_id = await bodemeis(db, case)
    first = await raise_in(db, case.case_id, agreement_id, ams(2027, 3, 8, 10))
    second = await raise_in(db, case.case_id, agreement_id, ams(2027, 3, 8, 10, 5))
    other_week = await raise_in(db, case.case_id, agreement_id, ams(2027, 3, 15, 10), "2027-03-15")
    assert first == second != other_week
    assert len(await reminders(db, PICKUP)) == 4  # two regisseurs, two escalations


async def test_a_week_nobody_picks_up_brings_each_reminder_once_across_restarts(
    db: Database, second_db: Database
) -> None:
    _, escalation_id = await raised(db, now=ams(2027, 3, 5, 16))
    sent: list[tuple[str, str | None, str]] = []
    now = ams(2027, 3, 5, 16)
    while now <= ams(2027, 3, 12, 18):
        process = (db, second_db)[now.hour % 2]  # another process every hour
        for reminder in await deliver_due(process, now):
            if reminder.kind in (PICKUP, AGAIN):
                sent.append((reminder.kind, reminder.user_id, wall(now)))
        now += timedelta(minutes=30)
    assert sent == [
        (PICKUP, PETRA, "Mon 2027-03-08 10:00"),
        (PICKUP, KARIN, "Mon 2027-03-08 10:00"),
        (AGAIN, PETRA, "Tue 2027-03-09 17:00"),
        (AGAIN, KARIN, "Tue 2027-03-09 17:00"),
    ]
    async with db.session() as session:
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
    assert escalation is not None and escalation.owner_user_id is None


async def test_picking_up_after_the_first_reminder_stops_the_second(db: Database) -> None:
    case_id, escalation_id = await raised(db, now=ams(2027, 3, 5, 16))
    delivered = await deliver_due(db, ams(2027, 3, 8, 10))
    assert [r.user_id for r in delivered if r.kind == PICKUP] == [PETRA, KARIN]
    async with db.session() as session:
        result = await pick_up(
            session, escalation_id=escalation_id, user_id=KARIN, now=ams(2027, 3, 8, 11)
        )
    assert result.picked and result.escalation.owner_user_id == KARIN
    assert result.escalation.picked_up_at == ams(2027, 3, 8, 11)
    assert [r for r in await deliver_due(db, ams(2027, 3, 12, 17)) if r.kind == AGAIN] == []
    assert [r.status for r in await reminders(db, AGAIN)] == [ReminderStatus.CANCELLED] * 2
    assert "escalation_picked_up" in await audit_actions(db, case_id)


async def test_many_clicks_at_once_give_the_escalation_exactly_one_owner(
    db: Database, second_db: Database
) -> None:
    _, escalation_id = await raised(db, now=ams(2027, 3, 8, 10))

    async def click(process: Database, user: str) -> tuple[str, bool, str | None]:
        async with process.session() as session:
            result = await pick_up(
                session, escalation_id=escalation_id, user_id=user, now=ams(2027, 3, 8, 10, 1)
            )
        return user, result.picked, result.escalation.owner_user_id

    users = [PETRA, KARIN, SANNE, MO] * 2
    results = await asyncio.gather(
        *(click((db, second_db)[i % 2], user) for i, user in enumerate(users))
    )
    winners = [user for user, picked, _ in results if picked]
    assert len(winners) == 1
    assert {owner for _, _, owner in results} == {winners[0]}
    async with db.session() as session:
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
    assert escalation is not None and escalation.owner_user_id == winners[0]


async def test_resolving_records_what_was_done_with_an_encrypted_note(db: Database) -> None:
    case_id, escalation_id = await raised(db, now=ams(2027, 3, 8, 10))
    async with db.session() as session:
        await pick_up(session, escalation_id=escalation_id, user_id=MO, now=ams(2027, 3, 8, 11))
    async with db.session() as session:
        done = await resolve(
            session,
            escalation_id=escalation_id,
            by=MO,
            resolution=Resolution.EXTRA_OVERLEG,
            note="Extra overleg gepland op donderdag met de wijkagent",
            now=ams(2027, 3, 8, 15),
        )
        again = await resolve(
            session,
            escalation_id=escalation_id,
            by=PETRA,
            resolution=Resolution.OPGELOST,
            note=None,
            now=ams(2027, 3, 8, 16),
        )
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
        still_open = await open_escalations(session, case_ids=[case_id])
    assert (done, again) == (True, False)
    assert escalation is not None
    assert (escalation.owner_user_id, escalation.resolved_by, escalation.resolution) == (
        MO,
        MO,
        Resolution.EXTRA_OVERLEG,
    )
    assert escalation.note == "Extra overleg gepland op donderdag met de wijkagent"
    [(stored,)] = await raw(db, f"SELECT note FROM escalation WHERE id = {escalation_id}")
    assert "wijkagent" not in str(stored)
    assert still_open == []
    assert "escalation_resolved" in await audit_actions(db, case_id)


async def test_resolving_one_nobody_picked_up_makes_the_resolver_its_owner(db: Database) -> None:
    _, escalation_id = await raised(db, now=ams(2027, 3, 8, 10))
    async with db.session() as session:
        await resolve(
            session,
            escalation_id=escalation_id,
            by=PETRA,
            resolution=Resolution.AFSPRAAK_AANGEPAST,
            note="",
            now=ams(2027, 3, 8, 12),
        )
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
        late_pickup = await pick_up(
            session, escalation_id=escalation_id, user_id=KARIN, now=ams(2027, 3, 8, 13)
        )
    assert escalation is not None
    assert (escalation.owner_user_id, escalation.picked_up_at, escalation.note) == (
        PETRA,
        ams(2027, 3, 8, 12),
        None,
    )
    assert not late_pickup.picked and late_pickup.escalation.owner_user_id == PETRA
    assert {r.status for r in await reminders(db)} - {ReminderStatus.PENDING} == {
        ReminderStatus.CANCELLED
    }
    assert await pending(db, PICKUP) == []


async def test_an_unknown_resolution_is_refused_before_anything_is_stored(db: Database) -> None:
    _, escalation_id = await raised(db, now=ams(2027, 3, 8, 10))
    async with db.session() as session:
        with pytest.raises(ValueError):
            await resolve(
                session,
                escalation_id=escalation_id,
                by=PETRA,
                resolution="weggelachen",  # type: ignore[arg-type]
                note=None,
                now=ams(2027, 3, 8, 12),
            )
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
    assert escalation is not None and escalation.resolved_at is None
