"""Tables. Everything needed to resume a meeting lives here (DESIGN §4).

Times are aware UTC (`UTCDateTime`); free text is encrypted at rest (`EncryptedText`, added
with the tables that hold free text). Enumerations are stored as short strings so a
PostgreSQL and a SQLite database look the same.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Index, Text, UniqueConstraint, text
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


class Attendance(StrEnum):
    """Who was at the table (issue 15): checked in, excused beforehand, or not there."""

    PRESENT = "present"
    EXCUSED = "afgemeld"
    ABSENT = "absent"


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
    # The aanbrengende partner: the organisation that brought the case in, the legal basis of
    # the processing. Typed by hand, so encrypted like every free text.
    referring_partner: str | None = Field(default=None, sa_type=EncryptedText)


class CaseClosure(SQLModel, table=True):
    """One closing of a case (storage/closing.py), with what it rested on and what came after:
    the aftercare answer, and a reopening. A case closed, reopened and closed again has two."""

    __tablename__ = "case_closure"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    closed_by: str = Field(max_length=32)
    closed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The afsluitingsplan it rests on (an agreement's id; no foreign key, so this module needs
    # no other), or a regisseur's reason to close without one.
    afsluitingsplan_id: int | None = Field(default=None)
    override_reason: str | None = Field(default=None, sa_type=EncryptedText)
    aftercare_answer: str | None = Field(default=None, max_length=20)
    aftercare_by: str | None = Field(default=None, max_length=32)
    aftercare_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=32)
    reopened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
    __table_args__ = (
        Index("ix_meeting_case_status", "case_id", "status"),
        # One meeting of a case runs at a time: two starts at once cannot both win.
        Index(
            "uq_meeting_one_running",
            "case_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
    )

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
    # Attendance (storage/attendance.py): None until they check in or a regisseur marks them;
    # who set it and when. `added_by`: a regisseur added them at the table (not invited).
    attendance: str | None = Field(default=None, max_length=10)
    attendance_by: str | None = Field(default=None, max_length=32)
    attendance_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    added_by: str | None = Field(default=None, max_length=32)


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


class SlackObject(SQLModel, table=True):
    """One message, file or canvas the bot shows in Slack: the outbox row (DESIGN §2).

    `wanted` is bumped in the transaction of every change the object shows; `shown` is the
    `wanted` its last successful render saw, so `wanted > shown` means "Slack is behind". Once
    posted, `ts` / `file_id` / `canvas_id` say where it is: the purge deletes from these and never
    lists history. Ids and short codes only: `payload` is checked JSON of ids (no free text), and
    `last_error` is a Slack error code. Data access is in storage/slack_objects.py.
    """

    __tablename__ = "slack_object"
    __table_args__ = (
        # The poller's query: only rows Slack is behind on, which stay few while the table grows
        # with every message ever posted.
        Index(
            "ix_slack_object_pending",
            "next_try_at",
            postgresql_where=text("wanted > shown"),
            sqlite_where=text("wanted > shown"),
        ),
        # Lane order: is there an earlier unposted row in this lane?
        Index("ix_slack_object_lane", "lane", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)  # the renderer's name
    # Nullable: a home tab or a DM about no case is an object too.
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    # A channel id, or a user id for that user's DM (replaced by the DM's id once posted).
    channel_id: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    # A reply in the thread of another object not posted yet (the meeting's parent message).
    parent_key: str | None = Field(default=None, max_length=200)
    # Posts with the same lane go out in id order (the minutes of one thread read in order).
    lane: str | None = Field(default=None, max_length=200)
    ts: str | None = Field(default=None, max_length=32)
    file_id: str | None = Field(default=None, max_length=32)
    canvas_id: str | None = Field(default=None, max_length=32)
    payload: str = Field(default="{}", sa_type=Text)  # JSON of ids and choices only
    wanted: int = Field(default=1)
    shown: int = Field(default=0)
    # Since when Slack has been behind (None while caught up): the doctor's "oldest due".
    pending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)  # failed tries since the last successful render
    next_try_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=40)  # a code, never content
    # Set when no retry can help (channel_not_found, our own bug): not tried again until the
    # next change to show. The doctor lists these.
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by the purge before it deletes the object in Slack: never rendered again.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def posted(self) -> bool:
        return bool(self.ts or self.file_id or self.canvas_id)


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
