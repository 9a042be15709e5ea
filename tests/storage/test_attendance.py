"""Attendance in the database, on SQLite and on PostgreSQL (issue 15): a check-in, a regisseur's
marks and someone added at the table; who may vote follows them; one meeting of a case runs at
a time, enforced by the database."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.attendance import Seat, check_in, mark, missing_organisations, present, seats
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Attendance, Meeting, MeetingStatus, Participant, Role
from storage.types import utcnow
from storage.votes import VoteRefusal, cast_vote, eligible_voters, why_not_stored
from tests.storage.test_votes import meeting_with_round, ts


async def test_marks_check_ins_and_who_may_vote(db: Database) -> None:
    case_id, meeting_id, _ = await meeting_with_round(db, ["U1", "U2", "U3", "U4"])
    async with db.session() as session:
        changed = await mark(
            session,
            meeting_id=meeting_id,
            marks={"U2": Attendance.EXCUSED, "U3": Attendance.ABSENT, "U9": Attendance.PRESENT},
            by="U1",
        )
        assert changed == [
            ("U2", Attendance.EXCUSED),
            ("U3", Attendance.ABSENT),
            ("U9", Attendance.PRESENT),
        ]
        # The same marks again change nothing.
        assert (
            await mark(session, meeting_id=meeting_id, marks={"U2": Attendance.EXCUSED}, by="U1")
            == []
        )
        # A vote checks in only who nobody marked; one's own check-in beats an earlier mark.
        assert await check_in(session, meeting_id=meeting_id, user_id="U4", only_unmarked=True)
        assert not await check_in(session, meeting_id=meeting_id, user_id="U3", only_unmarked=True)
    async with db.session() as session:
        table = await seats(session, meeting_id=meeting_id)
        assert table == [
            Seat("U1", None),
            Seat("U2", Attendance.EXCUSED),
            Seat("U3", Attendance.ABSENT),
            Seat("U4", Attendance.PRESENT),
            Seat("U9", Attendance.PRESENT, added=True),
        ]
        assert await present(session, meeting_id=meeting_id) == ["U4", "U9"]
        # U9 is not a participant of the case (yet): present, but not asked to vote.
        assert await eligible_voters(session, meeting_id=meeting_id, case_id=case_id) == ["U4"]
        refused = await cast_vote(
            session, meeting_id=meeting_id, round_number=1, user_id="U3", value=5,
            action_ts=ts("1.0"),
        )  # fmt: skip
        assert refused is None
        assert (
            await why_not_stored(session, meeting_id=meeting_id, round_number=1, user_id="U3")
            is VoteRefusal.NOT_PRESENT
        )
        # Not marked yet: may vote (the bot checks them in with the vote).
        stored = await cast_vote(
            session, meeting_id=meeting_id, round_number=1, user_id="U1", value=5,
            action_ts=ts("2.0"),
        )  # fmt: skip
        assert stored is not None
    async with db.session() as session:
        assert await mark(session, meeting_id=meeting_id, marks={"U3": Attendance.PRESENT}, by="U3")


def test_the_organisations_missing_from_the_table() -> None:
    members = [
        Participant(case_id=1, user_id="U1", role=Role.PROCESREGISSEUR, organisation="ZVH"),
        Participant(case_id=1, user_id="U2", role=Role.DEELNEMER, organisation="Politie"),
        Participant(case_id=1, user_id="U3", role=Role.DEELNEMER, organisation="Politie"),
        Participant(case_id=1, user_id="U4", role=Role.DEELNEMER, organisation="GGZ"),
        Participant(case_id=1, user_id="U5", role=Role.DEELNEMER, organisation=""),
    ]
    table = [
        Seat("U1", Attendance.PRESENT),
        Seat("U2", Attendance.ABSENT),
        Seat("U3", Attendance.PRESENT),
        Seat("U4", Attendance.EXCUSED),
    ]
    assert missing_organisations(table, members) == ["GGZ"]


async def test_one_running_meeting_per_case(db: Database) -> None:
    case_id, first, _ = await meeting_with_round(db, ["U1"])
    async with db.session() as session:
        second = await plan_meeting(
            session,
            case_id=case_id,
            phase="directe_veiligheid",
            scheduled_at=utcnow(),
            planned_by="U1",
            invitees=["U1"],
            state="{}",
        )
        second_id = second.id
    running = MeetingStatus.RUNNING.value
    async with db.session() as session:
        await session.exec(update(Meeting).where(col(Meeting.id) == first).values(status=running))
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await session.exec(
                update(Meeting).where(col(Meeting.id) == second_id).values(status=running)
            )
    async with db.session() as session:
        ended = MeetingStatus.ENDED.value
        await session.exec(update(Meeting).where(col(Meeting.id) == first).values(status=ended))
        await session.exec(
            update(Meeting).where(col(Meeting.id) == second_id).values(status=running)
        )
