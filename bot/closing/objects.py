"""The closing's Slack objects, drawn from what is stored: the channel's note that the case
closed or reopened, and the DM that asks the regisseur to finish a close the meeting decided."""

from __future__ import annotations

from bot.closing.blocks import close_prompt
from bot.kit.blocks import local_time
from bot.kit.i18n import t
from bot.kit.objects import case_of, payload_int
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from storage.closing import aftercare_recipient, closure_by_id
from storage.meetings import next_planned
from storage.models import row_id


async def render_announcement(deps: Deps, ctx: RenderContext) -> Rendered:
    case = await case_of(deps, ctx)
    settings = deps.settings
    lang = settings.language
    async with deps.db.session() as session:
        closure = await closure_by_id(session, closure_id=payload_int(ctx.payload, "closure"))
        planned = await next_planned(session, case_id=row_id(case))
    if closure is None:
        raise RenderFailed("closure_gone")
    if ctx.payload.get("event") == "reopened":
        phase = deps.catalogue.phase(case.phase).title.get(lang)
        when = local_time(lang, planned.scheduled_at, settings.timezone) if planned else "—"
        text = t(
            lang,
            "aftercare.reopened_channel",
            code=case.code,
            by=closure.reopened_by or "?",
            phase=phase,
            when=when,
        )
    else:
        basis = "closing.basis_override" if closure.override_reason else "closing.basis_plan"
        text = t(
            lang,
            "closing.closed",
            code=case.code,
            by=closure.closed_by,
            basis=t(lang, basis),
            months=settings.aftercare_months,
            aftercare=await _aftercare_to(deps, row_id(case)) or closure.closed_by,
        )
    return await post_or_update(ctx, text=text)


async def _aftercare_to(deps: Deps, case_id: int) -> str | None:
    async with deps.db.session() as session:
        return await aftercare_recipient(session, case_id=case_id)


async def render_prompt(deps: Deps, ctx: RenderContext) -> Rendered:
    case = await case_of(deps, ctx)
    lang = await deps.users.language(ctx.client, ctx.row.channel_id)
    meeting_id = payload_int(ctx.payload, "meeting")
    text = t(lang, "closing.not_yet", code=case.code)
    blocks = close_prompt(lang, case_id=row_id(case), meeting_id=meeting_id, code=case.code)
    return await post_or_update(ctx, text=text, blocks=blocks)
