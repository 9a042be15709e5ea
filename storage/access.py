"""What the access guard (bot.kit.access) reads for a request, in ONE statement: the meeting a
button names (if any), its case, and the user's membership of that case.

Every interaction is guarded, so these run on every click. The statements are built once, with
bind parameters, so SQLAlchemy compiles each once per process and a request only binds values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, CaseStatus, Meeting, Participant

Found = tuple[Meeting | None, Case | None, Participant | None]

_member = (
    (col(Participant.case_id) == col(Case.id))
    & (col(Participant.user_id) == bindparam("user_id"))
    & col(Participant.removed_at).is_(None)
)
_BY_MEETING = (
    select(Meeting, Case, Participant)
    .join(Case, col(Case.id) == col(Meeting.case_id))
    .outerjoin(Participant, _member)
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .limit(1)
)
_BY_CASE = (
    select(Case, Participant)
    .outerjoin(Participant, _member)
    .where(col(Case.id) == bindparam("case_id"))
    .limit(1)
)
_OPEN_IN_CHANNEL = (
    select(Case, Participant)
    .outerjoin(Participant, _member)
    .where(col(Case.channel_id) == bindparam("channel_id"), col(Case.status) == CaseStatus.OPEN)
    .order_by(col(Case.id).desc())
    .limit(1)
)
# The open case of a channel, else the one closed last (its record can still be read).
_LATEST_IN_CHANNEL = (
    select(Case, Participant)
    .outerjoin(Participant, _member)
    .where(col(Case.channel_id) == bindparam("channel_id"))
    .order_by((col(Case.status) == CaseStatus.OPEN).desc(), col(Case.id).desc())
    .limit(1)
)


async def by_meeting(session: AsyncSession, *, meeting_id: int, user_id: str) -> Found:
    """The meeting, its case and the user's membership (None where there is none)."""
    row = await _first(session, _BY_MEETING, meeting_id=meeting_id, user_id=user_id)
    if row is None:
        return None, None, None
    meeting, case, member = row
    return meeting, case, member


async def by_case(session: AsyncSession, *, case_id: int, user_id: str) -> Found:
    row = await _first(session, _BY_CASE, case_id=case_id, user_id=user_id)
    return (None, None, None) if row is None else (None, row[0], row[1])


async def by_channel(
    session: AsyncSession, *, channel_id: str, user_id: str, closed_too: bool
) -> Found:
    """The open case of the channel; with `closed_too`, else the one closed last."""
    query = _LATEST_IN_CHANNEL if closed_too else _OPEN_IN_CHANNEL
    row = await _first(session, query, channel_id=channel_id, user_id=user_id)
    return (None, None, None) if row is None else (None, row[0], row[1])


async def _first(session: AsyncSession, query: Any, **params: Any) -> Any:
    return (await session.exec(query, params=params)).first()
