"""Deadlines move in the open, on SQLite and PostgreSQL: each postponement is recorded, only one
in a row is free, a double click moves the date once, and a date past the next meeting is
reported so the regisseurs can be told."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from flows.schedule import ReminderKind
from storage.db import Database
from storage.meetings import plan_meeting
from storage.postponements import (
    CONSENT_NOT_REGISSEUR,
    NEEDS_CONSENT,
    NOT_LATER,
    NOT_OPEN,
    Postponed,
    PostponeRefused,
    free_postponement_left,
    postpone,
    postponements,
)
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    PETRA,
    SANNE,
    action,
    agreement,
    ams,
    audit_actions,
    end_meeting,
    new_case,
    pending,
)

MARCH = {day: date(2027, 3, day) for day in range(1, 32)}


async def move(
    db: Database,
    agreement_id: int,
    expected: date,
    new: date,
    *,
    by: str = SANNE,
    consent_by: str | None = None,
) -> Postponed:
    async with db.session() as session:
        return await postpone(
            session,
            agreement_id=agreement_id,
            expected_due=expected,
            new_due=new,
            by=by,
            consent_by=consent_by,
            now=ams(2027, 3, 17, 9, 5),
            hours=HOURS,
            tz=AMS,
        )


async def test_the_first_postponement_is_free_and_the_second_needs_a_regisseur(
    db: Database,
) -> None:
    case = await new_case(db)
    action_id = await action(db, case, due=MARCH[17])
    first = await move(db, action_id, MARCH[17], MARCH[24])
    assert first.postponement.consent_by is None
    assert await pending(db, ReminderKind.ACTION_DUE) == [(SANNE, "Wed 2027-03-24 09:00")]
    with pytest.raises(PostponeRefused) as refused:
        await move(db, action_id, MARCH[24], MARCH[31])
    assert refused.value.code == NEEDS_CONSENT
    assert (await agreement(db, action_id)).due_date == MARCH[24]
    # With Karin's consent it moves; the date she agreed to may be moved once more, freely.
    await move(db, action_id, MARCH[24], MARCH[31], consent_by=KARIN)
    async with db.session() as session:
        stored = await agreement(db, action_id)
        assert await free_postponement_left(session, agreement=stored)
    await move(db, action_id, MARCH[31], date(2027, 4, 7))
    async with db.session() as session:
        rows = await postponements(session, agreement_id=action_id)
    assert [(r.from_due.day, r.to_due.day, r.consent_by) for r in rows] == [
        (17, 24, None),
        (24, 31, KARIN),
        (31, 7, None),
    ]
    assert (await audit_actions(db, case.case_id)).count("action_postponed") == 3


@pytest.mark.parametrize(
    ("expected", "new", "consent_by", "code"),
    [
        (MARCH[17], MARCH[17], None, NOT_LATER),
        (MARCH[17], MARCH[10], None, NOT_LATER),
        (MARCH[10], MARCH[24], None, NOT_OPEN),  # an old DM: the due date is no longer the 10th
        (MARCH[17], MARCH[24], SANNE, CONSENT_NOT_REGISSEUR),
    ],
)
async def test_a_postponement_that_cannot_be_is_refused_and_nothing_moves(
    db: Database, expected: date, new: date, consent_by: str | None, code: str
) -> None:
    case = await new_case(db)
    action_id = await action(db, case, due=MARCH[17])
    with pytest.raises(PostponeRefused) as refused:
        await move(db, action_id, expected, new, consent_by=consent_by)
    assert refused.value.code == code
    assert (await agreement(db, action_id)).due_date == MARCH[17]
    assert await pending(db, ReminderKind.ACTION_DUE) == [(SANNE, "Wed 2027-03-17 09:00")]


async def test_a_double_click_postpones_once(db: Database, second_db: Database) -> None:
    case = await new_case(db)
    action_id = await action(db, case, due=MARCH[17])

    async def click(process: Database) -> str:
        try:
            await move(process, action_id, MARCH[17], MARCH[24])
        except PostponeRefused as refused:
            return refused.code
        return "moved"

    assert sorted(await asyncio.gather(click(db), click(second_db))) == ["moved", NOT_OPEN]
    async with db.session() as session:
        assert len(await postponements(session, agreement_id=action_id)) == 1
    assert len(await pending(db, ReminderKind.ACTION_DUE)) == 1


async def test_a_date_after_the_next_meeting_is_reported_for_the_regisseurs(
    db: Database,
) -> None:
    case = await new_case(db)
    await end_meeting(db, case.meeting_id, ams(2027, 3, 1, 12))
    action_id = await action(db, case, due=MARCH[17])
    async with db.session() as session:
        meeting = await plan_meeting(
            session,
            case_id=case.case_id,
            phase="directe_veiligheid",
            scheduled_at=ams(2027, 3, 22, 10),
            planned_by=PETRA,
            invitees=[PETRA, SANNE],
            state="{}",
        )
    before = await move(db, action_id, MARCH[17], MARCH[19])
    on_the_day = await move(db, action_id, MARCH[19], MARCH[22], consent_by=PETRA)
    after = await move(db, action_id, MARCH[22], MARCH[24])
    assert before.past_meeting is None and on_the_day.past_meeting is None
    assert after.past_meeting is not None and after.past_meeting.id == meeting.id
