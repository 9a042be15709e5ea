"""Absence and stand-ins, on SQLite and PostgreSQL: while someone is away their reminders go to
the stand-in, marked as such — never to someone outside the case — and it ends by itself after
the last day."""

from __future__ import annotations

from datetime import date

import pytest

from storage.absence import (
    Recipient,
    absences_in_case,
    end_absence,
    forget_past_absences,
    recipient_for,
    set_absence,
)
from storage.db import Database
from tests.storage.case_life_steps import (
    AMS,
    KARIN,
    MO,
    OUTSIDER,
    PETRA,
    SANNE,
    ams,
    new_case,
)

MONDAY = date(2027, 3, 8)


async def away(db: Database, user: str, until: date, stand_in: str) -> None:
    async with db.session() as session:
        await set_absence(
            session,
            user_id=user,
            until=until,
            stand_in_user_id=stand_in,
            by=user,
            today=MONDAY,
            now=ams(2027, 3, 8, 9),
        )


async def who(db: Database, user: str, at: object, case_id: int | None = None) -> Recipient:
    async with db.session() as session:
        return await recipient_for(session, user_id=user, at=at, tz=AMS, case_id=case_id)  # type: ignore[arg-type]


async def test_during_an_absence_reminders_go_to_the_stand_in_until_the_last_day(
    db: Database,
) -> None:
    case = await new_case(db)
    await away(db, SANNE, date(2027, 3, 12), MO)  # away up to and including Friday
    assert await who(db, SANNE, ams(2027, 3, 8, 9), case.case_id) == Recipient(MO, SANNE)
    assert await who(db, SANNE, ams(2027, 3, 12, 17, 59), case.case_id) == Recipient(MO, SANNE)
    # It ends by itself: Saturday (local) belongs to Sanne again.
    assert await who(db, SANNE, ams(2027, 3, 13, 0, 1), case.case_id) == Recipient(SANNE)
    assert await who(db, MO, ams(2027, 3, 9, 9), case.case_id) == Recipient(MO)


async def test_a_stand_in_outside_the_case_gets_nothing_of_it_the_lead_does(db: Database) -> None:
    case = await new_case(db)
    await away(db, SANNE, date(2027, 3, 12), OUTSIDER)
    assert await who(db, SANNE, ams(2027, 3, 9, 9), case.case_id) == Recipient(
        PETRA, SANNE, via_lead=True
    )


async def test_a_stand_in_who_is_away_too_passes_it_on_and_a_circle_ends_at_the_lead(
    db: Database,
) -> None:
    case = await new_case(db)
    await away(db, SANNE, date(2027, 3, 12), MO)
    await away(db, MO, date(2027, 3, 10), KARIN)
    assert await who(db, SANNE, ams(2027, 3, 9, 9), case.case_id) == Recipient(KARIN, SANNE)
    assert await who(db, SANNE, ams(2027, 3, 11, 9), case.case_id) == Recipient(MO, SANNE)
    await away(db, KARIN, date(2027, 3, 10), SANNE)  # Sanne → Mo → Karin → Sanne
    assert await who(db, SANNE, ams(2027, 3, 9, 9), case.case_id) == Recipient(
        PETRA, SANNE, via_lead=True
    )


async def test_setting_again_replaces_and_coming_back_early_ends_it(db: Database) -> None:
    case = await new_case(db)
    await away(db, SANNE, date(2027, 3, 12), MO)
    await away(db, SANNE, date(2027, 3, 19), KARIN)
    async with db.session() as session:
        [absence] = await absences_in_case(session, case_id=case.case_id, on=MONDAY)
        assert (absence.until, absence.stand_in_user_id) == (date(2027, 3, 19), KARIN)
        assert await end_absence(session, user_id=SANNE, by=SANNE)
        assert not await end_absence(session, user_id=SANNE, by=SANNE)
    assert await who(db, SANNE, ams(2027, 3, 9, 9), case.case_id) == Recipient(SANNE)


@pytest.mark.parametrize(("until", "stand_in"), [(date(2027, 3, 5), MO), (MONDAY, SANNE)])
async def test_a_past_date_or_oneself_as_stand_in_is_refused(
    db: Database, until: date, stand_in: str
) -> None:
    with pytest.raises(ValueError):
        await away(db, SANNE, until, stand_in)
    assert await who(db, SANNE, ams(2027, 3, 8, 9)) == Recipient(SANNE)


async def test_past_absences_are_forgotten(db: Database) -> None:
    case = await new_case(db)
    await away(db, SANNE, date(2027, 3, 12), MO)
    await away(db, MO, date(2027, 3, 20), KARIN)
    async with db.session() as session:
        assert await forget_past_absences(session, before=date(2027, 3, 13)) == 1
        remaining = await absences_in_case(session, case_id=case.case_id, on=MONDAY)
    assert [a.user_id for a in remaining] == [MO]
