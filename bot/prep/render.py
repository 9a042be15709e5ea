"""The prep summary's post in the meeting's thread, drawn from what is stored. Apart from
summary.py (which asks for it), so the meetings feature may ask without importing the module
the registration table (bot/surface.py) uses as this feature's entry point."""

from __future__ import annotations

from bot.kit.i18n import t
from bot.kit.objects import meeting_of
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from bot.prep.blocks import summary_post
from storage.models import row_id
from storage.prep import summary_of


async def render_prep_summary(deps: Deps, ctx: RenderContext) -> Rendered:
    meeting, case = await meeting_of(deps, ctx)
    async with deps.db.session() as session:
        summary = await summary_of(session, meeting_id=row_id(meeting))
    if summary is None:
        raise RenderFailed("prep_summary_gone")
    lang = deps.settings.language
    return await post_or_update(
        ctx,
        text=t(lang, "prep.summary_fallback", code=case.code),
        blocks=summary_post(lang, text=summary.text, by=summary.written_by),
    )
