"""The audit log: who did what and when, never what was said (DESIGN §6)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    meeting_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEvent(
            actor=actor, action=action, case_id=case_id, meeting_id=meeting_id, detail=detail[:200]
        )
    )


async def events_for_case(session: AsyncSession, *, case_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.id))
    return list((await session.exec(query)).all())


async def phase_changes(session: AsyncSession, *, case_id: int) -> list[AuditEvent]:
    """The case's phase changes, oldest first; each detail reads 'old -> new' (phase keys)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == "phase_changed")
        .order_by(col(AuditEvent.id))
    )
    return list((await session.exec(query)).all())


async def deciders(session: AsyncSession, *, meeting_id: int) -> dict[str, str]:
    """Who took each decision of a meeting: decision key → the regisseur who last took it."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.meeting_id == meeting_id, AuditEvent.action == "decision")
        .order_by(col(AuditEvent.id))
    )
    return {event.detail: event.actor for event in (await session.exec(query)).all()}
