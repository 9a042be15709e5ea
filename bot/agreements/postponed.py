"""The regisseurs are told when an action is postponed past the next meeting (issue 16): a DM to
each, an outbox object per postponement and regisseur, so it is sent once and purged with the
case."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.blocks import owner_text
from bot.kit.blocks import local_date, local_time, mention
from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import payload_int, wanted
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from storage.agreements import agreement_by_id
from storage.cases import case_by_id, regisseurs
from storage.models import row_id
from storage.postponements import Postponement, postponed_past_next_meeting


async def want_past_meeting_notes(
    session: AsyncSession, deps: Deps, *, postponement: Postponement, case_id: int
) -> list[int]:
    postponement_id = row_id(postponement)
    return [
        await wanted(
            session,
            deps,
            key=f"postponement:{postponement_id}:{user_id}",
            kind=ObjectKind.POSTPONED_PAST_MEETING,
            case_id=case_id,
            channel_id=user_id,
            payload={"postponement": postponement_id},
        )
        for user_id in await regisseurs(session, case_id=case_id)
    ]


async def render_past_meeting_note(deps: Deps, ctx: RenderContext) -> Rendered:
    postponement_id = payload_int(ctx.payload, "postponement")
    tz = deps.settings.timezone
    async with deps.db.session() as session:
        moved = await session.get(Postponement, postponement_id)
        agreement = (
            await agreement_by_id(session, agreement_id=moved.agreement_id) if moved else None
        )
        case = await case_by_id(session, case_id=agreement.case_id) if agreement else None
        meeting = (
            await postponed_past_next_meeting(
                session, case_id=row_id(case), due=moved.to_due, tz=tz
            )
            if case and moved
            else None
        )
    if moved is None or agreement is None or case is None:
        raise RenderFailed("postponement_gone")
    lang = await deps.users.language(ctx.client, ctx.row.channel_id)
    text = t(
        lang,
        "postpone.past_meeting",
        code=case.code,
        what=" ".join((agreement.text or "").split()),
        owner=owner_text(lang, agreement),
        by=mention(moved.by),
        old=local_date(lang, moved.from_due),
        new=local_date(lang, moved.to_due),
        meeting=local_time(lang, meeting.scheduled_at, tz) if meeting else "—",
    )
    return await post_or_update(ctx, text=text)
