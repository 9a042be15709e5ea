"""Everything the veiligheidsplan shows, gathered from the database in one read (the document
is rendered by flows.veiligheidsplan; the bot rewrites the canvas from it after every change).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.veiligheidsplan import (
    Person,
    PlanAbsence,
    PlanAction,
    PlanBodemeis,
    PlanData,
    PlanEscalation,
    PlanPostponement,
)
from storage.absence import absences_in_case
from storage.agreements import (
    DEFAULT_INTERVAL_DAYS,
    Agreement,
    escalation_plan,
    informing,
    open_actions,
)
from storage.bodemeisen import active_with_checks
from storage.cases import participants
from storage.escalations import open_escalations
from storage.meetings import next_planned
from storage.models import Case, row_id
from storage.postponements import postponements_of_case


async def gather_plan(
    session: AsyncSession, *, case_id: int, now: datetime, tz: ZoneInfo, emergency_text: str
) -> PlanData:
    """The case's veiligheidsplan as of `now`. Raises LookupError for an unknown case."""
    case = await session.get(Case, case_id)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    today = now.astimezone(tz).date()
    organisations = {
        p.user_id: p.organisation for p in await participants(session, case_id=case_id)
    }
    away = await absences_in_case(session, case_id=case_id, on=today)
    stand_ins = {a.user_id: a.stand_in_user_id for a in away}

    def person(user_id: str | None, organisation: str | None = None) -> Person:
        if user_id is None:
            return Person(user_id=None, organisation=organisation or "")
        return Person(
            user_id=user_id,
            organisation=organisations.get(user_id, ""),
            stand_in=stand_ins.get(user_id),
        )

    bodemeisen = tuple(
        PlanBodemeis(
            text=b.text or "",
            monitor=person(b.monitor_user_id),
            interval_days=b.interval_days or DEFAULT_INTERVAL_DAYS,
            version=b.version,
            since=b.created_at,
            last_answer=check.answer if check else None,
            last_checked=date.fromisoformat(check.occurrence) if check else None,
        )
        for b, check in await active_with_checks(session, case_id=case_id)
    )
    moves = await postponements_of_case(session, case_id=case_id)
    actions = tuple(
        PlanAction(
            text=a.text or "",
            owner=person(a.owner_user_id, a.owner_organisation),
            due=a.due_date,
            postponements=tuple(
                PlanPostponement(p.from_due, p.to_due, consented=p.consent_by is not None)
                for p in moves.get(row_id(a), [])
            ),
        )
        for a in await open_actions(session, case_id=case_id)
    )
    escalations = []
    for escalation in await open_escalations(session, case_ids=[case_id]):
        about = await session.get(Agreement, escalation.agreement_id)
        escalations.append(
            PlanEscalation(
                kind=escalation.kind,
                about=(about.text if about else None) or "",
                raised_at=escalation.raised_at,
                owner=escalation.owner_user_id,
            )
        )
    meeting = await next_planned(session, case_id=case_id)
    return PlanData(
        case_code=case.code,
        phase=case.phase,
        bodemeisen=bodemeisen,
        actions=actions,
        escalation_plan=await escalation_plan(session, case_id=case_id),
        informing=await informing(session, case_id=case_id),
        next_meeting=meeting.scheduled_at if meeting else None,
        emergency_text=emergency_text,
        escalations=tuple(escalations),
        absences=tuple(PlanAbsence(a.user_id, a.until, a.stand_in_user_id) for a in away),
        as_of=now,
    )
