"""Tables. Everything needed to resume a meeting lives here (DESIGN §4).

Times are aware UTC (`UTCDateTime`); free text is encrypted at rest (`EncryptedText`, added
with the tables that hold free text). Enumerations are stored as short strings so a
PostgreSQL and a SQLite database look the same.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.crypto import EncryptedText
from storage.types import UTCDateTime, utcnow


class Role(StrEnum):
    PROCESREGISSEUR = "procesregisseur"
    CASUSREGISSEUR = "casusregisseur"
    DEELNEMER = "deelnemer"
    GAST = "gast"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Case(SQLModel, table=True):
    __tablename__ = "case"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    phase: str = Field(max_length=40)
    status: str = Field(default=CaseStatus.OPEN, max_length=10)
    channel_id: str = Field(max_length=32, index=True)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_participant_case_user"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    user_id: str = Field(max_length=32, index=True)
    role: str = Field(max_length=20)
    organisation: str = Field(default="", max_length=80)
    confidentiality_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_case_status", "case_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    phase: str = Field(max_length=40)
    status: str = Field(default=MeetingStatus.PLANNED, max_length=10)
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    planned_by: str = Field(max_length=32)
    # The meeting's parent message; its ts is also the thread's ts.
    channel_id: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32, index=True)
    # flows.meeting.MeetingState as JSON: where the meeting is, so a restart resumes there.
    state: str = Field(default="{}")
    # Bumped on every state change; a move based on an older version is refused (stale click).
    version: int = Field(default=0)
    # The message that shows the current question (its buttons are removed when we move on).
    question_ts: str | None = Field(default=None, max_length=32)
    planning_ts: str | None = Field(default=None, max_length=32)
    decision: str | None = Field(default=None, max_length=120)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingInvitee(SQLModel, table=True):
    __tablename__ = "meeting_invitee"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_invitee_meeting_user"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: str = Field(max_length=32)


class Contribution(SQLModel, table=True):
    """A thread reply, stored as the minutes of the question that was current."""

    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("meeting_id", "message_ts", name="uq_contribution_message"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    step_key: str = Field(max_length=120)
    user_id: str = Field(max_length=32)
    message_ts: str = Field(max_length=32)
    text: str | None = Field(default=None, sa_type=EncryptedText)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what and when — never the content (DESIGN §6)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=32)
    action: str = Field(max_length=60)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    detail: str = Field(default="", max_length=200)


class ProcessedDelivery(SQLModel, table=True):
    """Slack retries events and users double-click: each delivery key is handled once."""

    __tablename__ = "processed_delivery"

    key: str = Field(primary_key=True, max_length=120)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Stored(Protocol):
    id: int | None


def row_id(row: Stored) -> int:
    """The primary key of a row read from (or flushed to) the database; a row that was never
    stored has none, and asking for it is a bug worth a clear error."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it was never stored")
    return row.id


def thread_of(meeting: Meeting) -> tuple[str, str]:
    """The channel and thread ts of a started meeting (its parent message is its thread)."""
    if not meeting.channel_id or not meeting.thread_ts:
        raise ValueError(f"meeting {meeting.id} has no thread: it never started")
    return meeting.channel_id, meeting.thread_ts
