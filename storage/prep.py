"""Prep answers: what each invitee writes before a meeting (DESIGN §4, issue 7).

One row per invitee per meeting. The answers to the prep questions are free text, kept as one
encrypted JSON object keyed by the catalogue's question keys, so a region's maatwerk questions
need no schema change. The optional pre-score is a plain integer: the overview shows its
distribution with a GROUP BY, never who gave which score.

Storing is ONE statement that only writes while the meeting is still planned and the author is
invited and still a participant: an answer is either in before the meeting starts, or refused.
On PostgreSQL the statement takes a share lock on the meeting row, so a concurrent start waits
for it (and the start's overview then includes the answer) or it waits for the start (and finds
the meeting running).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy
from sqlalchemy import CheckConstraint, Integer, UniqueConstraint, func, literal
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import EncryptedText
from storage.models import Meeting, MeetingInvitee, MeetingStatus, Participant
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

SCORE_MIN, SCORE_MAX = 1, 10


class PrepAnswer(SQLModel, table=True):
    __tablename__ = "prep_answer"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_prep_answer_meeting_user"),
        CheckConstraint("pre_score BETWEEN 1 AND 10", name="ck_prep_answer_pre_score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(max_length=32)
    # Copied from the participant when stored: the overview attributes answers to this.
    organisation: str = Field(default="", max_length=80)
    # {question key: text} as JSON, encrypted at rest.
    answers: str | None = Field(default=None, sa_type=EncryptedText)
    pre_score: int | None = Field(default=None)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def texts(self) -> dict[str, str]:
        loaded = json.loads(self.answers or "{}")
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


async def save_prep(
    session: AsyncSession,
    *,
    meeting_id: int,
    user_id: str,
    texts: Mapping[str, str],
    pre_score: int | None,
) -> bool:
    """Store (or replace) `user_id`'s prep for the meeting; False when it may not be stored.

    Refused — nothing written — when the meeting is no longer planned, or the user is not
    invited or no longer a participant of the case.
    """
    if pre_score is not None and not SCORE_MIN <= pre_score <= SCORE_MAX:
        raise ValueError("pre_score must be 1..10")
    now = utcnow()
    payload = json.dumps(
        {key: text for key, text in texts.items() if text}, ensure_ascii=False, sort_keys=True
    )
    invited = (
        select(MeetingInvitee.id)
        .where(MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.user_id == user_id)
        .exists()
    )
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    source = (
        sqlalchemy.select(
            col(Meeting.id),
            literal(user_id),
            col(Participant.organisation),
            literal(payload, EncryptedText),
            # Typed, so PostgreSQL knows what an empty (NULL) score is.
            literal(pre_score, Integer()),
            literal(now, UTCDateTime),
            literal(now, UTCDateTime),
        )
        .join(
            Participant,
            (col(Participant.case_id) == col(Meeting.case_id))
            & (col(Participant.user_id) == user_id)
            & col(Participant.removed_at).is_(None),
        )
        .where(col(Meeting.id) == meeting_id, col(Meeting.status) == MeetingStatus.PLANNED, invited)
        .with_for_update(read=True, of=Meeting)
    )
    insert = insert_for(session)(PrepAnswer).from_select(
        [
            "meeting_id",
            "user_id",
            "organisation",
            "answers",
            "pre_score",
            "submitted_at",
            "updated_at",
        ],
        source,
    )
    statement = insert.on_conflict_do_update(
        index_elements=["meeting_id", "user_id"],
        # submitted_at stays: it is when this person first answered.
        set_={
            "organisation": insert.excluded.organisation,
            "answers": insert.excluded.answers,
            "pre_score": insert.excluded.pre_score,
            "updated_at": insert.excluded.updated_at,
        },
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def prep_of(session: AsyncSession, *, meeting_id: int, user_id: str) -> PrepAnswer | None:
    query = select(PrepAnswer).where(
        PrepAnswer.meeting_id == meeting_id, PrepAnswer.user_id == user_id
    )
    return (await session.exec(query)).first()


async def has_prepared(session: AsyncSession, *, meeting_id: int, user_id: str) -> bool:
    query = select(PrepAnswer.id).where(
        PrepAnswer.meeting_id == meeting_id, PrepAnswer.user_id == user_id
    )
    return (await session.exec(query)).first() is not None


async def preps_of_meeting(session: AsyncSession, *, meeting_id: int) -> list[PrepAnswer]:
    """Every stored prep of the meeting, in the order people first answered."""
    query = (
        select(PrepAnswer)
        .where(PrepAnswer.meeting_id == meeting_id)
        .order_by(col(PrepAnswer.submitted_at), col(PrepAnswer.id))
    )
    return list((await session.exec(query)).all())


async def pre_score_distribution(session: AsyncSession, *, meeting_id: int) -> dict[int, int]:
    """{pre-score: how many gave it}, by GROUP BY: the only way pre-scores leave storage."""
    query = (
        select(PrepAnswer.pre_score, func.count())
        .where(PrepAnswer.meeting_id == meeting_id, col(PrepAnswer.pre_score).is_not(None))
        .group_by(col(PrepAnswer.pre_score))
    )
    rows = (await session.exec(query)).all()
    return {int(score): int(count) for score, count in rows if score is not None}


# --- who has prepared: for the planning message, the overview and the home tab -----------------


@dataclass(frozen=True, slots=True)
class PrepEntry:
    user_id: str
    organisation: str
    answered_at: datetime | None  # last saved; None: not answered (yet)

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True, slots=True)
class PrepStatus:
    """Who of a meeting's invitees (still participants) has prepared, in invitation order."""

    meeting_id: int
    entries: tuple[PrepEntry, ...]

    @property
    def answered(self) -> tuple[PrepEntry, ...]:
        return tuple(e for e in self.entries if e.answered)

    @property
    def pending(self) -> tuple[PrepEntry, ...]:
        return tuple(e for e in self.entries if not e.answered)

    def by_organisation(self) -> dict[str, tuple[PrepEntry, ...]]:
        """{organisation: its entries}, organisations in order of first invitation."""
        grouped: dict[str, list[PrepEntry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.organisation, []).append(entry)
        return {organisation: tuple(entries) for organisation, entries in grouped.items()}


async def prep_status(session: AsyncSession, *, meeting_id: int) -> PrepStatus:
    """Who was asked to prepare for the meeting and who did; no content, safe for any view.

    Counts the invitees who are still participants of the case: someone removed from the case
    is no longer expected to prepare (an answer they gave earlier still shows in the overview).
    """
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return PrepStatus(meeting_id=meeting_id, entries=())
    query = (
        select(
            MeetingInvitee.user_id,
            Participant.organisation,
            PrepAnswer.updated_at,
        )
        .join(
            Participant,
            (col(Participant.user_id) == col(MeetingInvitee.user_id))
            & (col(Participant.case_id) == meeting.case_id)
            & col(Participant.removed_at).is_(None),
        )
        .outerjoin(
            PrepAnswer,
            (col(PrepAnswer.meeting_id) == col(MeetingInvitee.meeting_id))
            & (col(PrepAnswer.user_id) == col(MeetingInvitee.user_id)),
        )
        .where(MeetingInvitee.meeting_id == meeting_id)
        .order_by(col(MeetingInvitee.id))
    )
    rows = (await session.exec(query)).all()
    entries = tuple(
        PrepEntry(user_id=user, organisation=organisation or "", answered_at=at)
        for user, organisation, at in rows
    )
    return PrepStatus(meeting_id=meeting_id, entries=entries)


# --- the regisseurs' summary of the prep -------------------------------------------------------


class PrepSummary(SQLModel, table=True):
    """What the regisseurs make of the prep answers, shown at the start of the Beeldvorming
    ("De proces- en/of casusregisseurs kunnen deze informatie vooraf bekijken en samenvatten").
    One per meeting; free text, encrypted at rest; editable until the meeting starts."""

    __tablename__ = "prep_summary"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    text: str = Field(sa_type=EncryptedText)
    written_by: str = Field(max_length=32)
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def save_summary(session: AsyncSession, *, meeting_id: int, text: str, by: str) -> bool:
    """Store (or replace) the meeting's prep summary; False, nothing written, once the meeting
    is no longer planned. One statement, like `save_prep`: a concurrent start either waits for
    it or makes it refuse."""
    now = utcnow()
    source = (
        sqlalchemy.select(
            col(Meeting.id),
            literal(text, EncryptedText),
            literal(by),
            literal(now, UTCDateTime),
        )
        .where(col(Meeting.id) == meeting_id, col(Meeting.status) == MeetingStatus.PLANNED)
        .with_for_update(read=True, of=Meeting)
    )
    insert = insert_for(session)(PrepSummary).from_select(
        ["meeting_id", "text", "written_by", "written_at"], source
    )
    statement = insert.on_conflict_do_update(
        index_elements=["meeting_id"],
        set_={
            "text": insert.excluded.text,
            "written_by": insert.excluded.written_by,
            "written_at": insert.excluded.written_at,
        },
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def summary_of(session: AsyncSession, *, meeting_id: int) -> PrepSummary | None:
    query = select(PrepSummary).where(PrepSummary.meeting_id == meeting_id)
    return (await session.exec(query)).first()
