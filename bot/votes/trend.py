"""A case's score trend in its channel: the medians per meeting with the family's view, then
the chart as a PNG in the thread (`/casus trend`, and at the end of `/casus tijdlijn`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.votes.blocks import chart_labels, short_date, trend_message
from bot.votes.use_cases import case_scores
from storage.models import Case, row_id


async def post_trend(
    deps: Deps, client: AsyncWebClient, *, case: Case, none_yet: Callable[[str], Awaitable[None]]
) -> None:
    """Post the trend; `none_yet` tells the asker (privately) when there is no score yet."""
    _, points = await case_scores(deps, row_id(case))
    lang, tz = deps.settings.language, deps.settings.timezone
    if not points:
        await none_yet(case.code)
        return
    phases = {phase.key: phase for phase in deps.catalogue.phases}
    first_ts = None
    for blocks in trend_message(lang, code=case.code, points=points, phases=phases, tz=tz):
        posted = await client.chat_postMessage(
            channel=case.channel_id, text=t(lang, "trend.title", code=case.code), blocks=blocks
        )
        first_ts = first_ts or posted["ts"]
    from bot.votes.trend_chart import render_png  # matplotlib loads only when a chart is asked

    # Drawing takes a moment of CPU: off the event loop, so clicks keep being answered.
    png = await asyncio.to_thread(render_png, points, chart_labels(lang, case.code), tz)
    last = short_date(points[-1].held_at, tz)
    await client.files_upload_v2(
        channel=case.channel_id,
        thread_ts=first_ts,
        file=png,
        alt_txt=t(lang, "trend.chart_title", code=case.code),
        filename=f"trend-{case.code}-{last}.png",
        title=t(lang, "trend.chart_title", code=case.code),
        initial_comment=t(lang, "trend.chart_note"),
    )
