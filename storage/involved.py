"""The view of the people involved (visie van betrokkenen), per pseudonymous role, and whether
they were told the meeting's outcome (DESIGN §4, issue 15 item 6).

A role is a key of flows.involved.ROLES (slachtoffer, pleger, kind 1 …): never a name. Each
view is optional, with a score on the meeting's scale and a short text, both optional too; the
text is encrypted at rest. One row per meeting and role: recording again corrects it. Whether
the people involved were informed of the outcome is one row per meeting, its reason encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import EncryptedText
from storage.models import Meeting
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for


class InvolvedView(SQLModel, table=True):
    __tablename__ = "involved_view"
    __table_args__ = (
        UniqueConstraint("meeting_id", "role", name="uq_involved_view_meeting_role"),
        CheckConstraint("score BETWEEN 1 AND 10", name="ck_involved_view_score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    role: str = Field(max_length=40)
    step_key: str = Field(max_length=120)
    score: int | None = Field(default=None)
    text: str | None = Field(default=None, sa_type=EncryptedText)
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutcomeInformed(SQLModel, table=True):
    """Betrokkenen geïnformeerd over de uitkomst: yes / not yet / no, with a reason."""

    __tablename__ = "outcome_informed"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    answer: str = Field(max_length=10)  # a flows.involved.Informed value
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def record_views(
    session: AsyncSession,
    *,
    meeting_id: int,
    step_key: str,
    views: dict[str, tuple[int | None, str]],
    by: str,
) -> None:
    """Replace the meeting's views with `views` ({role: (score, text)}); a role left out (or
    with neither a score nor a text) has no view."""
    await session.exec(delete(InvolvedView).where(col(InvolvedView.meeting_id) == meeting_id))
    now = utcnow()
    for role, (score, text) in views.items():
        if score is None and not text:
            continue
        if score is not None and not 1 <= score <= 10:
            raise ValueError("score must be 1..10")
        session.add(
            InvolvedView(
                meeting_id=meeting_id,
                role=role,
                step_key=step_key,
                score=score,
                text=text or None,
                recorded_by=by,
                recorded_at=now,
            )
        )
    await session.flush()


async def views_of_meeting(session: AsyncSession, *, meeting_id: int) -> list[InvolvedView]:
    query = (
        select(InvolvedView)
        .where(InvolvedView.meeting_id == meeting_id)
        .order_by(col(InvolvedView.id))
    )
    return list((await session.exec(query)).all())


async def views_of_case(session: AsyncSession, *, case_id: int) -> dict[int, list[InvolvedView]]:
    """{meeting id: its views} for every meeting of the case."""
    query = (
        select(InvolvedView)
        .join(Meeting, col(Meeting.id) == col(InvolvedView.meeting_id))
        .where(Meeting.case_id == case_id)
        .order_by(col(InvolvedView.id))
    )
    found: dict[int, list[InvolvedView]] = {}
    for view in (await session.exec(query)).all():
        found.setdefault(view.meeting_id, []).append(view)
    return found


async def record_informed(
    session: AsyncSession, *, meeting_id: int, answer: str, reason: str | None, by: str
) -> None:
    insert = insert_for(session)(OutcomeInformed).values(
        meeting_id=meeting_id, answer=answer, reason=reason, recorded_by=by, recorded_at=utcnow()
    )
    statement = insert.on_conflict_do_update(
        index_elements=["meeting_id"],
        set_={
            "answer": insert.excluded.answer,
            "reason": insert.excluded.reason,
            "recorded_by": insert.excluded.recorded_by,
            "recorded_at": insert.excluded.recorded_at,
        },
    )
    await session.exec(statement)


async def informed_of(session: AsyncSession, *, meeting_id: int) -> OutcomeInformed | None:
    query = select(OutcomeInformed).where(OutcomeInformed.meeting_id == meeting_id)
    return (await session.exec(query)).first()
