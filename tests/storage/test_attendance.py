"""Attendance in the database, on SQLite and on PostgreSQL (issue 15): a check-in, a regisseur's
marks and someone added at the table; who may vote follows them; one meeting of a case runs at
a time, enforced by the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.config import Settings
from storage.attendance import Seat, check_in, mark, missing_organisations, present, seats
from storage.db import Database, make_engine
from storage.meetings import plan_meeting
from storage.migrate import alembic_config, migrate
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


async def test_the_migration_ends_stray_parallel_meetings_and_keeps_invitees(
    database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> None:
    """A database where a second /casus start ran a second meeting beside the first upgrades:
    the oldest running meeting stays running, the stray ends; invitees keep their rows."""
    settings = make_settings(**database_env)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0009"))
            for statement in (
                'INSERT INTO "case" (id, code, phase, status, channel_id, created_by, created_at)'
                " VALUES (1, 'ZVH-1', 'directe_veiligheid', 'open', 'G1', 'U1',"
                " '2027-03-01 10:00:00+00')",
                "INSERT INTO meeting (id, case_id, phase, status, planned_by, state, version)"
                " VALUES (1, 1, 'directe_veiligheid', 'running', 'U1', '{}', 3)",
                "INSERT INTO meeting (id, case_id, phase, status, planned_by, state, version)"
                " VALUES (2, 1, 'directe_veiligheid', 'running', 'U1', '{}', 1)",
                "INSERT INTO meeting_invitee (meeting_id, user_id) VALUES (1, 'U2')",
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with engine.connect() as connection:
            statuses = (
                await connection.execute(text("SELECT id, status FROM meeting ORDER BY id"))
            ).all()
            invitee = (
                await connection.execute(text("SELECT user_id, attendance FROM meeting_invitee"))
            ).one()
        assert [tuple(row) for row in statuses] == [(1, "running"), (2, "ended")]
        assert tuple(invitee) == ("U2", None)
    finally:
        await engine.dispose()
