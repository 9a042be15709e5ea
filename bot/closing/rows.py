"""The closing's outbox rows, asked for in the caller's transaction: the channel's note that
the case closed (or reopened), and the regisseur's DM with the closing form's button when a
meeting decided to close but the case could not close yet. Apart from the use cases so the
meeting's end can ask for them too."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import wanted
from bot.kit.runtime import Deps
from storage.models import Case, row_id


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
