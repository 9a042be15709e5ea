"""The home tab's data between meetings, on SQLite and PostgreSQL: open escalations first (the
ones nobody picked up before those with an owner), "overleg te lang geleden", and one's own
absence."""

from __future__ import annotations

from datetime import date

from flows.schedule import DEFAULT_MAX_MEETING_INTERVAL_DAYS
from storage.absence import set_absence
from storage.db import Database
from storage.escalations import pick_up
from storage.home import home_data
from tests.storage.case_life_steps import (
    KARIN,
    MO,
    PETRA,
    SANNE,
    ams,
    bodemeis,
    end_meeting,
    escalate,
    new_case,
)


async def test_escalations_come_first_and_overdue_meetings_are_flagged(db: Database) -> None:
    case = await new_case(db)
    await end_meeting(db, case.meeting_id, ams(2027, 3, 1, 12))
    watched = await bodemeis(db, case)
    async with db.session() as session:
        ids = [
            await escalate(session, case.case_id, watched, at=ams(2027, 3, day, 10), occurrence=on)
            for day, on in ((8, "2027-03-08"), (15, "2027-03-15"))
        ]
        await pick_up(session, escalation_id=ids[0], user_id=SANNE, now=ams(2027, 3, 8, 11))
        await set_absence(
            session,
            user_id=SANNE,
            until=date(2027, 3, 26),
            stand_in_user_id=MO,
            by=SANNE,
            today=date(2027, 3, 22),
            now=ams(2027, 3, 22, 9),
        )
    now = ams(2027, 3, 22, 9)
    async with db.session() as session:
        petra = await home_data(
            session,
            user_id=PETRA,
            today=date(2027, 3, 22),
            now=now,
            meeting_limits=DEFAULT_MAX_MEETING_INTERVAL_DAYS,
        )
        karin = await home_data(session, user_id=KARIN, today=date(2027, 3, 22))
        sanne = await home_data(session, user_id=SANNE, today=date(2027, 3, 22))
        mo = await home_data(session, user_id=MO, today=date(2027, 3, 22))
    # Petra steers: both, the one nobody has first.
    assert [(e.escalation_id, e.owner) for e in petra.escalations] == [
        (ids[1], None),
        (ids[0], SANNE),
    ]
    assert petra.cases[0].meeting_overdue  # three weeks since the meeting, none planned
    # Sanne takes part: only the one she owns; and she sees her own absence.
    assert [e.escalation_id for e in sanne.escalations] == [ids[0]]
    assert sanne.away is not None and sanne.away.stand_in_user_id == MO
    assert not sanne.cases[0].meeting_overdue  # not judged without the limits
    assert mo.escalations == () and mo.away is None
    assert karin.escalations == petra.escalations  # the casusregisseur steers too
