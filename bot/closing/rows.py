"""The closing's outbox rows, asked for in the caller's transaction: the channel's note that
the case closed (or reopened), and the regisseur's DM with the closing form's button when a
meeting decided to close but the case could not close yet. Apart from the use cases so the
meeting's end can ask for them too."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import wanted
from bot.kit.runtime import Deps
from bot.meetings.objects import want_planning
from storage.closing import Closed, ClosingChoice, close_case
from storage.meetings import meeting_by_id
from storage.models import Case, row_id
from storage.types import utcnow


async def close_and_show(
    session: AsyncSession,
    deps: Deps,
    case: Case,
    *,
    meeting_id: int | None,
    by: str,
    choices: Sequence[ClosingChoice] = (),
    override_reason: str | None = None,
) -> tuple[Closed, tuple[int, ...]]:
    """storage.closing.close_case with the bot's settings (raises ClosingRefused), and the rows
    that show it: the channel's note, and the planning messages of meetings called off."""
    settings = deps.settings
    closed = await close_case(
        session,
        case_id=row_id(case),
        by=by,
        now=utcnow(),
        hours=settings.working_hours,
        tz=settings.timezone,
        aftercare_months=settings.aftercare_months,
        meeting_id=meeting_id,
        choices=choices,
        override_reason=override_reason,
    )
    closure_id = row_id(closed.closure)
    rows = [await want_announcement(session, deps, case, closure_id=closure_id, event="closed")]
    for cancelled in closed.cancelled_meetings:
        meeting = await meeting_by_id(session, meeting_id=cancelled)
        if meeting is not None:
            rows.append(await want_planning(session, deps, meeting, case.channel_id))
    return closed, tuple(rows)


async def want_announcement(
    session: AsyncSession, deps: Deps, case: Case, *, closure_id: int, event: str
) -> int:
    case_id = row_id(case)
    return await wanted(
        session,
        deps,
        key=f"case:{case_id}:{event}:{closure_id}",
        kind=ObjectKind.CASE_CLOSING,
        case_id=case_id,
        channel_id=case.channel_id,
        payload={"case": case_id, "closure": closure_id, "event": event},
    )


async def want_prompt(
    session: AsyncSession, deps: Deps, case: Case, *, meeting_id: int, regisseur: str
) -> int:
    case_id = row_id(case)
    return await wanted(
        session,
        deps,
        key=f"case:{case_id}:close_prompt:{meeting_id}",
        kind=ObjectKind.CLOSE_PROMPT,
        case_id=case_id,
        channel_id=regisseur,
        payload={"case": case_id, "meeting": meeting_id},
    )
