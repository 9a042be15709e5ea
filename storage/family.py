"""The current agreements for the family, gathered from the database (rendered by
flows.family_agreements). Organisations only: the gatherer never hands over a Slack id, so the
document cannot name a professional by accident."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.family_agreements import FamilyAction, FamilyBodemeis, FamilyData
from storage import audit
from storage.agreements import open_actions
from storage.bodemeisen import active_bodemeisen
from storage.cases import participants
from storage.meetings import next_planned


async def gather_family(
    session: AsyncSession, *, case_id: int, by: str, now: datetime, emergency_text: str
) -> FamilyData:
    """The family version as of `now`; making it is audited (who, never what)."""
    data = await family_data(session, case_id=case_id, now=now, emergency_text=emergency_text)
    await audit.record(session, actor=by, action="family_agreements_made", case_id=case_id)
    return data


async def family_data(
    session: AsyncSession, *, case_id: int, now: datetime, emergency_text: str
) -> FamilyData:
    """The family version as of `now`, unaudited: for drawing a version whose making was
    audited when it was asked for."""
    organisations = {
        p.user_id: p.organisation for p in await participants(session, case_id=case_id)
    }

    def organisation_of(user_id: str | None, typed: str | None = None) -> str:
        return typed or (organisations.get(user_id, "") if user_id else "")

    actions = tuple(
        FamilyAction(
            organisation=organisation_of(a.owner_user_id, a.owner_organisation),
            what=a.text or "",
            due=a.due_date,
        )
        for a in await open_actions(session, case_id=case_id)
    )
    bodemeisen = tuple(
        FamilyBodemeis(text=b.text or "", checked_by=organisation_of(b.monitor_user_id))
        for b in await active_bodemeisen(session, case_id=case_id)
    )
    meeting = await next_planned(session, case_id=case_id)
    return FamilyData(
        actions=actions,
        bodemeisen=bodemeisen,
        next_meeting=meeting.scheduled_at if meeting else None,
        emergency_text=emergency_text,
        made_at=now,
    )
