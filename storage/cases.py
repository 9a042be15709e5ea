"""Cases and their participants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.models import Case, CaseStatus, Participant, Role, row_id
from storage.reminders import cancel_reminders
from storage.types import utcnow

STEERING_ROLES = frozenset({Role.PROCESREGISSEUR, Role.CASUSREGISSEUR})
UNKNOWN_ACTOR = "?"  # the codebase's mark for "no Slack user known" in audit lines


async def create_case(
    session: AsyncSession,
    *,
    code: str,
    phase: str,
    channel_id: str,
    created_by: str,
    members: Iterable[tuple[str, Role, str]],
    referring_partner: str | None = None,
) -> Case:
    """A new case with its participants as (user_id, role, organisation); one role per user.
    `referring_partner`: the aanbrengende partner, the organisation that brought the case in."""
    case = Case(
        code=code,
        phase=phase,
        channel_id=channel_id,
        created_by=created_by,
        referring_partner=(referring_partner or "").strip() or None,
    )
    session.add(case)
    await session.flush()
    seen: set[str] = set()
    for user_id, role, organisation in members:
        if user_id in seen:
            continue  # the first (most senior) role given for a user wins
        seen.add(user_id)
        session.add(
            Participant(case_id=row_id(case), user_id=user_id, role=role, organisation=organisation)
        )
    await session.flush()
    return case


async def case_by_code(session: AsyncSession, *, code: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.code == code))).first()


async def case_by_id(session: AsyncSession, *, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def open_case_in_channel(session: AsyncSession, *, channel_id: str) -> Case | None:
    query = select(Case).where(Case.channel_id == channel_id, Case.status == CaseStatus.OPEN)
    return (await session.exec(query.order_by(col(Case.id).desc()))).first()


async def latest_case_in_channel(session: AsyncSession, *, channel_id: str) -> Case | None:
    """The open case of a channel, else the one closed last (its record can still be read)."""
    query = select(Case).where(Case.channel_id == channel_id)
    order = (col(Case.status) == CaseStatus.OPEN).desc(), col(Case.id).desc()
    return (await session.exec(query.order_by(*order))).first()


async def participants(session: AsyncSession, *, case_id: int) -> list[Participant]:
    query = select(Participant).where(
        Participant.case_id == case_id, col(Participant.removed_at).is_(None)
    )
    return list((await session.exec(query.order_by(col(Participant.id)))).all())


async def participant(session: AsyncSession, *, case_id: int, user_id: str) -> Participant | None:
    query = select(Participant).where(
        Participant.case_id == case_id,
        Participant.user_id == user_id,
        col(Participant.removed_at).is_(None),
    )
    return (await session.exec(query)).first()


async def set_phase(
    session: AsyncSession, *, case: Case, phase: str, actor: str | None = None
) -> None:
    """Move the case to `phase`; a real change is audited (phase keys only, no content)."""
    if phase != case.phase:
        await audit.record(
            session,
            actor=actor or UNKNOWN_ACTOR,
            action="phase_changed",
            case_id=case.id,
            detail=f"{case.phase} -> {phase}",
        )
    case.phase = phase
    session.add(case)


async def close_case(session: AsyncSession, *, case: Case, actor: str | None = None) -> None:
    """Close the case; audited, since closing starts the retention period (storage.retention).
    The bare state change: a regisseur's close goes through storage.closing.close_case, which
    asks for an afsluitingsplan (or a reason) and schedules the aftercare.

    Its pending reminders are cancelled in the same transaction: nobody is reminded of a case
    that no longer runs.
    """
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    session.add(case)
    await cancel_reminders(session, case_id=case.id)
    await audit.record(session, actor=actor or UNKNOWN_ACTOR, action="case_closed", case_id=case.id)


async def add_participants(
    session: AsyncSession, *, case_id: int, members: Mapping[str, str], role: Role = Role.DEELNEMER
) -> list[str]:
    """Add users (user id -> organisation) to the case with `role`; who is in it already keeps
    their role, and someone removed earlier comes back (with `role`). Who was added."""
    rows = {
        m.user_id: m
        for m in (await session.exec(select(Participant).where(Participant.case_id == case_id)))
    }
    added = []
    for user_id, organisation in members.items():
        row = rows.get(user_id)
        if row is None:
            session.add(
                Participant(case_id=case_id, user_id=user_id, role=role, organisation=organisation)
            )
        elif row.removed_at is not None:
            row.removed_at, row.role, row.added_at = None, role, utcnow()
            row.organisation = organisation or row.organisation
            session.add(row)
        else:
            continue
        added.append(user_id)
    await session.flush()
    return added


async def confirm_confidentiality(
    session: AsyncSession, *, case_id: int, user_id: str
) -> Participant | None:
    """Record when a guest confirmed the confidentiality statement (once; audited). None when
    the user is no participant of the case."""
    member = await participant(session, case_id=case_id, user_id=user_id)
    if member is None:
        return None
    if member.role == Role.GAST and member.confidentiality_confirmed_at is None:
        member.confidentiality_confirmed_at = utcnow()
        session.add(member)
        await audit.record(
            session, actor=user_id, action="confidentiality_confirmed", case_id=case_id
        )
    return member


async def lock_case(session: AsyncSession, *, case_id: int) -> bool:
    """Make a no-op write on the case row the transaction's first statement, so two decisions
    about one case queue instead of both reading and then both writing (a PostgreSQL row
    lock; SQLite's single writer — where reading first and writing later fails under
    contention). False when the case does not exist."""
    statement = update(Case).where(col(Case.id) == case_id).values(code=col(Case.code))
    return bool((await session.exec(statement)).rowcount)


async def regisseurs(session: AsyncSession, *, case_id: int) -> list[str]:
    """The case's regisseurs (procesregisseur first): who hears when nothing moves."""
    query = (
        select(Participant)
        .where(
            Participant.case_id == case_id,
            col(Participant.removed_at).is_(None),
            col(Participant.role).in_([Role.PROCESREGISSEUR, Role.CASUSREGISSEUR]),
        )
        .order_by(col(Participant.id))
    )
    members = list((await session.exec(query)).all())
    members.sort(key=lambda m: m.role != Role.PROCESREGISSEUR)
    return [m.user_id for m in members]


async def lead_of(session: AsyncSession, *, case_id: int) -> str | None:
    """The case's procesregisseur (else its casusregisseur): who hears about broken bottom lines."""
    found = await regisseurs(session, case_id=case_id)
    return found[0] if found else None
