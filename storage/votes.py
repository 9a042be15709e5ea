"""Scale votes: rounds and one vote per person per round (DESIGN §4); the view of the people
involved is in storage.involved.

Many people click at once and Slack may deliver their clicks out of order, so a vote is ONE
statement: an upsert on (round, user) that only overwrites an older click, and only while the
round is open and the voter is invited. Nothing is read first in Python — on SQLite a
read-then-write fails under load, on PostgreSQL it loses updates. Tallies are GROUP BY queries,
never counters.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy
from sqlalchemy import CheckConstraint, UniqueConstraint, func, literal, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.scale import ACTION_TS_WIDTH
from storage.attendance import may_vote_clause
from storage.models import Attendance, Meeting, MeetingInvitee, Participant
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for


class ScaleRound(SQLModel, table=True):
    """One round of voting on a meeting's Schaalvraag; a re-vote is the next round."""

    __tablename__ = "scale_round"
    __table_args__ = (UniqueConstraint("meeting_id", "number", name="uq_scale_round_number"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    number: int
    step_key: str = Field(max_length=120)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_by: str = Field(max_length=32)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=32)
    # The voting message (live "who voted") and the results message of this round.
    message_ts: str | None = Field(default=None, max_length=32)
    results_ts: str | None = Field(default=None, max_length=32)


class Vote(SQLModel, table=True):
    __tablename__ = "vote"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", name="uq_vote_round_user"),
        CheckConstraint("value BETWEEN 1 AND 10", name="ck_vote_value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="scale_round.id")
    user_id: str = Field(max_length=32)
    value: int
    # Slack's action_ts of the click, fixed width (flows.scale.action_ts_key) so that comparing
    # the strings compares the times: an older click never overwrites a newer one.
    action_ts: str = Field(max_length=ACTION_TS_WIDTH)
    voted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VoteRefusal(StrEnum):
    NO_ROUND = "no_round"
    CLOSED = "closed"
    NOT_INVITED = "not_invited"
    NOT_PRESENT = "not_present"  # invited, but marked afgemeld or absent


# --- rounds ------------------------------------------------------------------------------------


async def open_round(
    session: AsyncSession, *, meeting_id: int, number: int, step_key: str, opened_by: str
) -> ScaleRound:
    scale_round = ScaleRound(
        meeting_id=meeting_id, number=number, step_key=step_key, opened_by=opened_by
    )
    session.add(scale_round)
    await session.flush()
    return scale_round


async def close_round(
    session: AsyncSession, *, meeting_id: int, number: int, closed_by: str
) -> bool:
    """Close the round. On PostgreSQL this waits for votes in flight (they hold a share lock on
    the round), so whatever is read after it in the same transaction is the final tally."""
    statement = (
        update(ScaleRound)
        .where(
            col(ScaleRound.meeting_id) == meeting_id,
            col(ScaleRound.number) == number,
            col(ScaleRound.closed_at).is_(None),
        )
        .values(closed_at=utcnow(), closed_by=closed_by)
    )
    return bool((await session.exec(statement)).rowcount)


async def round_by_number(
    session: AsyncSession, *, meeting_id: int, number: int
) -> ScaleRound | None:
    query = select(ScaleRound).where(
        ScaleRound.meeting_id == meeting_id, ScaleRound.number == number
    )
    return (await session.exec(query)).first()


async def rounds_of_meeting(session: AsyncSession, *, meeting_id: int) -> list[ScaleRound]:
    """The meeting's voting rounds, in order."""
    query = (
        select(ScaleRound)
        .where(ScaleRound.meeting_id == meeting_id)
        .order_by(col(ScaleRound.number))
    )
    return list((await session.exec(query)).all())


async def round_by_id(session: AsyncSession, *, round_id: int) -> ScaleRound | None:
    return await session.get(ScaleRound, round_id)


async def set_round_messages(
    session: AsyncSession,
    *,
    round_id: int,
    message_ts: str | None = None,
    results_ts: str | None = None,
) -> None:
    values = {
        k: v for k, v in (("message_ts", message_ts), ("results_ts", results_ts)) if v is not None
    }
    if values:
        statement = update(ScaleRound).where(col(ScaleRound.id) == round_id).values(**values)
        await session.exec(statement)


# --- votes -------------------------------------------------------------------------------------


async def cast_vote(
    session: AsyncSession,
    *,
    meeting_id: int,
    round_number: int,
    user_id: str,
    value: int,
    action_ts: str,
) -> int | None:
    """Store `value` for `user_id` in the round; returns the round's id when it was stored.

    None means nothing changed: the round is closed or unknown, the user is not invited (or
    marked afgemeld or absent), or a click with a newer `action_ts` is already stored
    (`why_not_stored` tells which). Who may vote: an invitee who is present or not marked yet
    (the caller checks a voter in with storage.attendance.check_in).
    """
    if not 1 <= value <= 10 or len(action_ts) != ACTION_TS_WIDTH:
        raise ValueError("value must be 1..10 and action_ts fixed width (flows.scale)")
    invited = (
        select(MeetingInvitee.id)
        .where(
            MeetingInvitee.meeting_id == meeting_id,
            MeetingInvitee.user_id == user_id,
            may_vote_clause(),
        )
        .exists()
    )
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    source = (
        sqlalchemy.select(
            col(ScaleRound.id),
            literal(user_id),
            literal(value),
            literal(action_ts),
            literal(utcnow(), UTCDateTime),
        )
        .where(
            col(ScaleRound.meeting_id) == meeting_id,
            col(ScaleRound.number) == round_number,
            col(ScaleRound.closed_at).is_(None),
            invited,
        )
        # PostgreSQL: closing the round waits for this vote to commit (SQLite ignores it and
        # serialises writers anyway), so a vote is either in the revealed tally or refused.
        .with_for_update(read=True, of=ScaleRound)
    )
    insert = insert_for(session)(Vote).from_select(
        ["round_id", "user_id", "value", "action_ts", "voted_at"], source
    )
    statement = insert.on_conflict_do_update(
        index_elements=["round_id", "user_id"],
        set_={
            "value": insert.excluded.value,
            "action_ts": insert.excluded.action_ts,
            "voted_at": insert.excluded.voted_at,
        },
        where=col(Vote.action_ts) < insert.excluded.action_ts,
    ).returning(col(Vote.round_id))
    stored = (await session.exec(statement)).first()
    return stored[0] if stored is not None else None


async def why_not_stored(
    session: AsyncSession, *, meeting_id: int, round_number: int, user_id: str
) -> VoteRefusal | None:
    """After `cast_vote` returned None: why. None means a newer click was already stored."""
    scale_round = await round_by_number(session, meeting_id=meeting_id, number=round_number)
    if scale_round is None:
        return VoteRefusal.NO_ROUND
    if scale_round.closed_at is not None:
        return VoteRefusal.CLOSED
    query = select(MeetingInvitee.id, MeetingInvitee.attendance).where(
        MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.user_id == user_id
    )
    found = (await session.exec(query)).first()
    if found is None:
        return VoteRefusal.NOT_INVITED
    if found[1] not in (None, Attendance.PRESENT.value):
        return VoteRefusal.NOT_PRESENT
    return None


async def vote_of(session: AsyncSession, *, round_id: int, user_id: str) -> int | None:
    query = select(Vote.value).where(Vote.round_id == round_id, Vote.user_id == user_id)
    return (await session.exec(query)).first()


async def voters(session: AsyncSession, *, round_id: int) -> list[str]:
    """Who voted, in the order they first voted; never their scores (blind until the reveal)."""
    query = select(Vote.user_id).where(Vote.round_id == round_id).order_by(col(Vote.id))
    return list((await session.exec(query)).all())


async def votes(session: AsyncSession, *, round_id: int) -> dict[str, int]:
    query = select(Vote.user_id, Vote.value).where(Vote.round_id == round_id)
    return {user: value for user, value in (await session.exec(query)).all()}


async def count_votes(session: AsyncSession, *, round_id: int) -> int:
    query = select(func.count()).select_from(Vote).where(col(Vote.round_id) == round_id)
    return int((await session.exec(query)).one())


async def distribution(session: AsyncSession, *, round_id: int) -> dict[int, int]:
    """{score: how many gave it}, by GROUP BY."""
    query = (
        select(Vote.value, func.count()).where(Vote.round_id == round_id).group_by(col(Vote.value))
    )
    return {value: int(count) for value, count in (await session.exec(query)).all()}


async def eligible_voters(session: AsyncSession, *, meeting_id: int, case_id: int) -> list[str]:
    """The meeting's invitees who are present and (still) participants of the case: who is
    asked to vote ("5 van 6 aanwezigen")."""
    query = (
        select(MeetingInvitee.user_id)
        .join(
            Participant,
            (col(Participant.user_id) == col(MeetingInvitee.user_id))
            & (col(Participant.case_id) == case_id)
            & col(Participant.removed_at).is_(None),
        )
        .where(
            MeetingInvitee.meeting_id == meeting_id,
            MeetingInvitee.attendance == Attendance.PRESENT.value,
        )
        .order_by(col(MeetingInvitee.id))
    )
    return list((await session.exec(query)).all())


async def closed_rounds_of_case(
    session: AsyncSession, *, case_id: int
) -> list[tuple[Meeting, ScaleRound, dict[int, int]]]:
    """Every revealed round of a case, oldest meeting first, with its GROUP BY distribution."""
    query = (
        select(Meeting, ScaleRound)
        .join(ScaleRound, col(ScaleRound.meeting_id) == col(Meeting.id))
        .where(Meeting.case_id == case_id, col(ScaleRound.closed_at).is_not(None))
        .order_by(col(Meeting.id), col(ScaleRound.number))
    )
    rows = list((await session.exec(query)).all())
    grouped = (
        select(Vote.round_id, Vote.value, func.count())
        .join(ScaleRound, col(ScaleRound.id) == col(Vote.round_id))
        .join(Meeting, col(Meeting.id) == col(ScaleRound.meeting_id))
        .where(Meeting.case_id == case_id)
        .group_by(col(Vote.round_id), col(Vote.value))
    )
    counts: dict[int, dict[int, int]] = {}
    for round_id, value, count in (await session.exec(grouped)).all():
        counts.setdefault(round_id, {})[value] = int(count)
    return [
        (meeting, scale_round, counts.get(scale_round.id or 0, {})) for meeting, scale_round in rows
    ]
