"""The veiligheidsplan in the case channel: one living document per case (issue 16), an outbox
object rewritten from the database after every change (storage.veiligheidsplan gathers it,
flows.veiligheidsplan renders it; the document says edits by hand are overwritten). Changes
anywhere ask for it here, in their own transaction; bot/agreements/plan_render.py draws it.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import bump, wanted
from bot.kit.runtime import Deps
from flows.veiligheidsplan import render
from storage.models import Case, row_id
from storage.slack_objects import object_by_key
from storage.types import utcnow
from storage.veiligheidsplan import gather_plan


def plan_key(case_id: int) -> str:
    return f"case:{case_id}:veiligheidsplan"


async def want_plan(session: AsyncSession, deps: Deps, *, case: Case) -> list[int]:
    """The case's veiligheidsplan shows what is stored now (created on the first change)."""
    case_id = row_id(case)
    row = await object_by_key(session, key=plan_key(case_id))
    if row is not None:
        return [await bump(session, deps, row)]
    return [
        await wanted(
            session,
            deps,
            key=plan_key(case_id),
            kind=ObjectKind.VEILIGHEIDSPLAN,
            case_id=case_id,
            channel_id=case.channel_id,
            payload={"case": case_id},
        )
    ]


async def plan_markdown(deps: Deps, case_id: int) -> str:
    """The document as the database holds it now (also for the export)."""
    settings = deps.settings
    async with deps.db.session() as session:
        plan = await gather_plan(
            session,
            case_id=case_id,
            now=utcnow(),
            tz=settings.timezone,
            emergency_text=settings.emergency_text,
        )
    return render(plan, settings.language, settings.timezone)
