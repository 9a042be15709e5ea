"""Who is in a case after registration: adding, removing (need-to-know), handing over, and the
aanbrengende partner.

Removal takes effect at once — the person gets no reminders of the case any more and drops off
planned meetings — but never leaves work unowned: while they own open actions, monitor
bodemeisen in force or own open escalations, removal is refused with the list of what to hand
over first. A hand-over moves the work and its reminders in one transaction; a new monitor makes
a new version of the bodemeis, so the record shows who watched it when.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import ReminderKind, WorkingHours
from storage import audit
from storage.agreements import Agreement, AgreementKind, AgreementStatus, reminded_of
from storage.bodemeisen import active_bodemeisen, change_bodemeis
from storage.cases import (
    STEERING_ROLES,
    add_participants,
    lock_case,
    participant,
    regisseurs,
)
from storage.escalations import Escalation, hand_over_escalations, open_escalations
from storage.models import (
    Case,
    CaseStatus,
    Meeting,
    MeetingInvitee,
    MeetingStatus,
    Participant,
    Role,
    row_id,
)
from storage.reminders import cancel_reminders, readdress


@dataclass(frozen=True, slots=True)
class Responsibilities:
    """What one person carries in a case."""

    actions: tuple[Agreement, ...]  # open actions they own, or are reminded of for an organisation
    bodemeisen: tuple[Agreement, ...]  # bodemeisen in force they monitor
    escalations: tuple[Escalation, ...]  # open escalations they picked up

    @property
    def none(self) -> bool:
        return not (self.actions or self.bodemeisen or self.escalations)


@dataclass(frozen=True, slots=True)
class Removal:
    removed: bool
    # Why not: what to hand over first, and whether they are the case's last regisseur.
    to_hand_over: Responsibilities
    last_regisseur: bool = False


@dataclass(frozen=True, slots=True)
class HandedOver:
    actions: tuple[int, ...]
    bodemeisen: tuple[tuple[int, int], ...]  # (old version, new version)
    escalations: tuple[int, ...]


async def add_participant(
    session: AsyncSession, *, case_id: int, user_id: str, role: Role, organisation: str, by: str
) -> bool:
    """A regisseur adds someone after registration (or brings back someone removed); audited.
    False when they are in the case already."""
    added = await add_participants(
        session, case_id=case_id, members={user_id: organisation}, role=role
    )
    if not added:
        return False
    await audit.record(
        session,
        actor=by,
        action="participant_added",
        case_id=case_id,
        detail=f"user={user_id} role={role}",
    )
    return True


async def responsibilities(
    session: AsyncSession, *, case_id: int, user_id: str
) -> Responsibilities:
    actions = (
        await session.exec(
            select(Agreement)
            .where(
                Agreement.case_id == case_id,
                Agreement.kind == AgreementKind.ACTION,
                Agreement.status == AgreementStatus.OPEN,
                reminded_of(user_id),
            )
            .order_by(col(Agreement.due_date), col(Agreement.id))
        )
    ).all()
    bodemeisen = [
        b for b in await active_bodemeisen(session, case_id=case_id) if b.monitor_user_id == user_id
    ]
    escalations = await open_escalations(session, case_ids=[case_id], owner=user_id)
    return Responsibilities(tuple(actions), tuple(bodemeisen), tuple(escalations))


async def remove_participant(
    session: AsyncSession, *, case_id: int, user_id: str, by: str, now: datetime
) -> Removal:
    """Remove `user_id` from the case, unless they still carry work or are its last regisseur
    (then nothing changes and the result says why). Raises LookupError when they are not in
    the case."""
    await lock_case(session, case_id=case_id)
    member = await participant(session, case_id=case_id, user_id=user_id)
    if member is None:
        raise LookupError(f"{user_id} is not a participant of case {case_id}")
    carried = await responsibilities(session, case_id=case_id, user_id=user_id)
    last = member.role in STEERING_ROLES and await regisseurs(session, case_id=case_id) == [user_id]
    if not carried.none or last:
        return Removal(removed=False, to_hand_over=carried, last_regisseur=last)
    statement = (
        update(Participant)
        .where(col(Participant.id) == row_id(member), col(Participant.removed_at).is_(None))
        .values(removed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(statement)).rowcount:  # removed by someone else just now
        return Removal(removed=False, to_hand_over=carried)
    await session.refresh(member)
    await cancel_reminders(session, case_id=case_id, user_id=user_id)
    planned = select(Meeting.id).where(
        Meeting.case_id == case_id, Meeting.status == MeetingStatus.PLANNED
    )
    await session.exec(
        delete(MeetingInvitee).where(
            col(MeetingInvitee.user_id) == user_id, col(MeetingInvitee.meeting_id).in_(planned)
        )
    )
    await audit.record(
        session,
        actor=by,
        action="participant_removed",
        case_id=case_id,
        detail=f"user={user_id}",
    )
    return Removal(removed=True, to_hand_over=carried)


async def hand_over(
    session: AsyncSession,
    *,
    case_id: int,
    from_user: str,
    to_user: str,
    by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    agreement_ids: Collection[int] | None = None,
) -> HandedOver:
    """Hand `from_user`'s open actions, monitoring and open escalations (or only the agreements
    in `agreement_ids`) to `to_user`; reminders follow. Raises ValueError when `to_user` is not
    in the case or is `from_user`."""
    if to_user == from_user:
        raise ValueError("hand over to someone else")
    await lock_case(session, case_id=case_id)
    if await participant(session, case_id=case_id, user_id=to_user) is None:
        raise ValueError("the new owner must be a participant of the case")
    carried = await responsibilities(session, case_id=case_id, user_id=from_user)

    def chosen(agreement: Agreement) -> bool:
        return agreement_ids is None or row_id(agreement) in agreement_ids

    actions = []
    for action in filter(chosen, carried.actions):
        if action.owner_user_id == from_user:
            action.owner_user_id = to_user
        else:  # an organisation's action: who is reminded of it changes, not its owner
            action.reminded_user_id = to_user
        action.updated_at = now
        session.add(action)
        await readdress(
            session,
            agreement_id=row_id(action),
            kinds=[ReminderKind.ACTION_DUE],
            from_user=from_user,
            to_user=to_user,
        )
        actions.append(row_id(action))
    bodemeisen = []
    for bodemeis in filter(chosen, carried.bodemeisen):
        new = await change_bodemeis(
            session,
            agreement_id=row_id(bodemeis),
            by=by,
            now=now,
            hours=hours,
            tz=tz,
            monitor_user_id=to_user,
        )
        if new is not None:
            bodemeisen.append((row_id(bodemeis), row_id(new)))
    escalations = (
        await hand_over_escalations(session, case_id=case_id, from_user=from_user, to_user=to_user)
        if agreement_ids is None
        else []
    )
    await session.flush()
    await audit.record(
        session,
        actor=by,
        action="handed_over",
        case_id=case_id,
        detail=f"from={from_user} to={to_user} actions={len(actions)}"
        f" bodemeisen={len(bodemeisen)} escalations={len(escalations)}",
    )
    return HandedOver(tuple(actions), tuple(bodemeisen), tuple(escalations))


async def set_referring_partner(
    session: AsyncSession, *, case_id: int, partner: str, by: str
) -> None:
    """Record the aanbrengende partner (encrypted); audited. Raises ValueError when empty,
    LookupError for an unknown case."""
    if not partner.strip():
        raise ValueError("name the organisation that brought the case in")
    case = await session.get(Case, case_id)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    case.referring_partner = partner.strip()
    session.add(case)
    await audit.record(session, actor=by, action="referring_partner_set", case_id=case_id)


async def guest_only(session: AsyncSession, *, user_id: str) -> bool:
    """`user_id` takes part in open cases only as a guest (and in at least one): such a person
    registers no case and fills in no form but their confidentiality confirmation."""
    query = (
        select(Participant.role)
        .join(Case, col(Case.id) == col(Participant.case_id))
        .where(
            Participant.user_id == user_id,
            col(Participant.removed_at).is_(None),
            Case.status == CaseStatus.OPEN,
        )
    )
    roles = set((await session.exec(query)).all())
    return roles == {Role.GAST.value}


async def decline_as_guest(
    session: AsyncSession, *, case_id: int, user_id: str, now: datetime
) -> bool:
    """A guest declines the confidentiality statement: they stay out of the case (removed at
    once, audited). False when they are no unconfirmed guest of it (confirmed guests leave
    through a regisseur)."""
    member = await participant(session, case_id=case_id, user_id=user_id)
    if member is None or member.role != Role.GAST or member.confidentiality_confirmed_at:
        return False
    removal = await remove_participant(
        session, case_id=case_id, user_id=user_id, by=user_id, now=now
    )
    if removal.removed:
        await audit.record(
            session, actor=user_id, action="confidentiality_declined", case_id=case_id
        )
    return removal.removed
