"""Picking an escalation up and resolving it (issue 16): plain async functions, no Bolt objects.

Each commits the change (storage.escalations: one UPDATE that expects no owner, or not yet
resolved, so of concurrent clicks exactly one wins) with the outbox rows that show it: the
escalation's post redrawn, a reply in its thread for the others, and the veiligheidsplan.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.agreements.escalation import want_news
from bot.agreements.plan import want_plan
from bot.kit.runtime import Declined, Deps
from storage.escalations import Escalation, Resolution, escalation_by_id, pick_up, resolve
from storage.models import Case, row_id
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Outcome:
    escalation: Escalation
    changed: bool  # False: someone else was first (or it was resolved already)
    rows: tuple[int, ...] = ()


async def escalation_of_case(deps: Deps, *, case: Case, escalation_id: int) -> Escalation:
    """The escalation a button names, if it belongs to this case; else a forged value."""
    async with deps.db.session() as session:
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
    if escalation is None or escalation.case_id != row_id(case):
        raise Declined("errors.forged")
    return escalation


async def pick_up_escalation(
    deps: Deps, *, case: Case, escalation_id: int, user_id: str
) -> Outcome:
    await escalation_of_case(deps, case=case, escalation_id=escalation_id)
    async with deps.db.session() as session:
        result = await pick_up(session, escalation_id=escalation_id, user_id=user_id, now=utcnow())
        if not result.picked:
            return Outcome(result.escalation, changed=False)
        rows = await want_news(
            session, deps, escalation=result.escalation, channel_id=case.channel_id, news="picked"
        )
        rows += await want_plan(session, deps, case=case)
    return Outcome(result.escalation, changed=True, rows=tuple(rows))


async def resolve_escalation(
    deps: Deps,
    *,
    case: Case,
    escalation_id: int,
    user_id: str,
    resolution: Resolution,
    note: str,
) -> Outcome:
    await escalation_of_case(deps, case=case, escalation_id=escalation_id)
    async with deps.db.session() as session:
        done = await resolve(
            session,
            escalation_id=escalation_id,
            by=user_id,
            resolution=resolution,
            note=note,
            now=utcnow(),
        )
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
        if escalation is None:
            raise Declined("errors.forged")
        if not done:
            return Outcome(escalation, changed=False)
        await session.refresh(escalation)
        rows = await want_news(
            session, deps, escalation=escalation, channel_id=case.channel_id, news="resolved"
        )
        rows += await want_plan(session, deps, case=case)
    return Outcome(escalation, changed=True, rows=tuple(rows))
