"""What one person has to do, across all their cases: the data behind the home tab.

Only ids, dates, statuses and the agreement texts the person is responsible for — the home
tab is private to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.scale import Tally
from storage.absence import Absence, absence_of
from storage.agreements import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    BodemeisCheck,
    reminded_of,
)
from storage.cases import STEERING_ROLES
from storage.escalations import open_escalations
from storage.models import (
    Case,
    CaseStatus,
    Meeting,
    MeetingInvitee,
    MeetingStatus,
    Participant,
    row_id,
)
from storage.prep import PrepAnswer
from storage.rhythm import overdue_cases
from storage.votes import closed_rounds_of_case


@dataclass(frozen=True, slots=True)
class CaseLine:
    case_id: int
    code: str
    phase: str
    channel_id: str
    role: str
    next_meeting: datetime | None
    latest_median: float | None
    overdue: int  # open actions past their due date + bodemeisen not met at the last check
    # "Overleg te lang geleden": longer between meetings than the phase allows (storage.rhythm);
    # only judged when home_data is given the limits.
    meeting_overdue: bool = False
    # The scale the latest score was given on (its scale question's key).
    latest_scale: str | None = None
    # The next planned meeting: its regisseurs read the prep from the home tab.
    next_meeting_id: int | None = None

    @property
    def steering(self) -> bool:
        return self.role in STEERING_ROLES


@dataclass(frozen=True, slots=True)
class ActionLine:
    agreement_id: int
    case_id: int
    code: str
    text: str
    due: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class BodemeisLine:
    agreement_id: int
    case_id: int
    code: str
    text: str
    last_answer: str | None
    last_checked: datetime | None


@dataclass(frozen=True, slots=True)
class PrepLine:
    meeting_id: int
    code: str
    scheduled_at: datetime | None


@dataclass(frozen=True, slots=True)
class EscalationLine:
    escalation_id: int
    case_id: int
    code: str
    kind: str  # an EscalationKind value
    raised_at: datetime
    owner: str | None  # None: nobody picked it up yet


@dataclass(frozen=True, slots=True)
class HomeData:
    cases: tuple[CaseLine, ...]
    actions: tuple[ActionLine, ...]
    bodemeisen: tuple[BodemeisLine, ...]
    prep: tuple[PrepLine, ...]
    # Shown first: the open escalations the person owns, and every open one of the cases they
    # steer (nobody's yet first).
    escalations: tuple[EscalationLine, ...] = ()
    away: Absence | None = None  # their own absence, if one is set

    @property
    def steers_any(self) -> bool:
        return any(line.steering for line in self.cases)


async def home_data(
    session: AsyncSession,
    *,
    user_id: str,
    today: date,
    now: datetime | None = None,
    meeting_limits: Mapping[str, int] | None = None,
) -> HomeData:
    """What `user_id` has to do. With `now` and `meeting_limits` (the setting
    CASUSBOT_MAX_MEETING_INTERVAL) each case also says whether its meetings lie too far apart."""
    memberships = (
        await session.exec(
            select(Participant, Case)
            .join(Case, col(Case.id) == col(Participant.case_id))
            .where(
                Participant.user_id == user_id,
                col(Participant.removed_at).is_(None),
                Case.status == CaseStatus.OPEN,
            )
            .order_by(col(Case.code))
        )
    ).all()
    cases = [await _case_line(session, case, member.role, today) for member, case in memberships]
    if now is not None and meeting_limits is not None and cases:
        late = {
            o.case_id
            for o in await overdue_cases(
                session, now=now, limits=meeting_limits, case_ids=[c.case_id for c in cases]
            )
        }
        cases = [replace(c, meeting_overdue=c.case_id in late) for c in cases]
    # Regisseurs see their cases with overdue items first.
    cases.sort(
        key=lambda line: (
            -((line.overdue > 0 or line.meeting_overdue) and line.steering),
            line.code,
        )
    )
    codes = {case.id: case.code for _, case in memberships}
    steered = [c.case_id for c in cases if c.steering]
    return HomeData(
        cases=tuple(cases),
        actions=tuple(await _my_actions(session, user_id, codes, today)),
        bodemeisen=tuple(await _my_bodemeisen(session, user_id, codes)),
        prep=tuple(await _my_prep(session, user_id, codes)),
        escalations=tuple(await _my_escalations(session, user_id, codes, steered)),
        away=await absence_of(session, user_id=user_id, on=today),
    )


async def _my_escalations(
    session: AsyncSession, user_id: str, codes: dict[int | None, str], steered: list[int]
) -> list[EscalationLine]:
    owned = await open_escalations(
        session, case_ids=[c for c in codes if c is not None], owner=user_id
    )
    steering = await open_escalations(session, case_ids=steered)
    found = {e.id: e for e in owned + steering}
    lines = [
        EscalationLine(
            escalation_id=row_id(e),
            case_id=e.case_id,
            code=codes[e.case_id],
            kind=e.kind,
            raised_at=e.raised_at,
            owner=e.owner_user_id,
        )
        for e in found.values()
    ]
    lines.sort(key=lambda line: (line.owner is not None, line.raised_at, line.escalation_id))
    return lines


async def _case_line(session: AsyncSession, case: Case, role: str, today: date) -> CaseLine:
    case_id = row_id(case)
    next_meeting = (
        await session.exec(
            select(func.min(Meeting.scheduled_at)).where(
                Meeting.case_id == case_id, Meeting.status == MeetingStatus.PLANNED
            )
        )
    ).one()
    next_meeting_id = (
        await session.exec(
            select(Meeting.id)
            .where(Meeting.case_id == case_id, Meeting.status == MeetingStatus.PLANNED)
            .order_by(col(Meeting.scheduled_at), col(Meeting.id))
            .limit(1)
        )
    ).first()
    rounds = await closed_rounds_of_case(session, case_id=case_id)
    latest = Tally.from_counts(rounds[-1][2]).median if rounds else None
    latest_scale = rounds[-1][1].step_key if rounds else None
    overdue_actions = (
        await session.exec(
            select(func.count()).where(
                Agreement.case_id == case_id,
                Agreement.kind == AgreementKind.ACTION,
                Agreement.status == AgreementStatus.OPEN,
                col(Agreement.due_date) < today,
            )
        )
    ).one()
    broken = 0
    for bodemeis in await _open_of_kind(session, case_id, AgreementKind.BODEMEIS):
        answer, _ = await _last_check(session, bodemeis.id or 0)
        broken += answer in ("niet_nageleefd", "geen_antwoord")
    return CaseLine(
        case_id=case_id,
        code=case.code,
        phase=case.phase,
        channel_id=case.channel_id,
        role=role,
        next_meeting=next_meeting,
        latest_median=latest,
        overdue=int(overdue_actions) + broken,
        latest_scale=latest_scale,
        next_meeting_id=next_meeting_id,
    )


async def _open_of_kind(session: AsyncSession, case_id: int, kind: str) -> list[Agreement]:
    query = select(Agreement).where(
        Agreement.case_id == case_id,
        Agreement.kind == kind,
        Agreement.status == AgreementStatus.OPEN,
    )
    return list((await session.exec(query)).all())


async def _last_check(
    session: AsyncSession, agreement_id: int
) -> tuple[str | None, datetime | None]:
    check = (
        await session.exec(
            select(BodemeisCheck)
            .where(BodemeisCheck.agreement_id == agreement_id)
            .order_by(col(BodemeisCheck.answered_at).desc())
        )
    ).first()
    return (check.answer, check.answered_at) if check else (None, None)


async def _my_actions(
    session: AsyncSession, user_id: str, codes: dict[int | None, str], today: date
) -> list[ActionLine]:
    query = (
        select(Agreement)
        .where(
            Agreement.kind == AgreementKind.ACTION,
            Agreement.status == AgreementStatus.OPEN,
            col(Agreement.case_id).in_(list(codes)),
            reminded_of(user_id),
        )
        .order_by(col(Agreement.due_date), col(Agreement.id))
    )
    return [
        ActionLine(
            agreement_id=a.id or 0,
            case_id=a.case_id,
            code=codes[a.case_id],
            text=a.text or "",
            due=a.due_date,
            overdue=a.due_date is not None and a.due_date < today,
        )
        for a in (await session.exec(query)).all()
    ]


async def _my_bodemeisen(
    session: AsyncSession, user_id: str, codes: dict[int | None, str]
) -> list[BodemeisLine]:
    query = (
        select(Agreement)
        .where(
            Agreement.kind == AgreementKind.BODEMEIS,
            Agreement.status == AgreementStatus.OPEN,
            Agreement.monitor_user_id == user_id,
            col(Agreement.case_id).in_(list(codes)),
        )
        .order_by(col(Agreement.id))
    )
    lines = []
    for bodemeis in (await session.exec(query)).all():
        answer, at = await _last_check(session, bodemeis.id or 0)
        lines.append(
            BodemeisLine(
                agreement_id=bodemeis.id or 0,
                case_id=bodemeis.case_id,
                code=codes[bodemeis.case_id],
                text=bodemeis.text or "",
                last_answer=answer,
                last_checked=at,
            )
        )
    return lines


async def _my_prep(
    session: AsyncSession, user_id: str, codes: dict[int | None, str]
) -> list[PrepLine]:
    answered = select(PrepAnswer.meeting_id).where(PrepAnswer.user_id == user_id)
    query = (
        select(Meeting)
        .join(MeetingInvitee, col(MeetingInvitee.meeting_id) == col(Meeting.id))
        .where(
            MeetingInvitee.user_id == user_id,
            Meeting.status == MeetingStatus.PLANNED,
            col(Meeting.case_id).in_(list(codes)),
            col(Meeting.id).not_in(answered),
        )
        .order_by(col(Meeting.scheduled_at))
    )
    return [
        PrepLine(meeting_id=m.id or 0, code=codes[m.case_id], scheduled_at=m.scheduled_at)
        for m in (await session.exec(query)).all()
    ]
