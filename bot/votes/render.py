"""Drawing the Schaalvraag's Slack objects from stored state (the outbox's renderers).

The ballot names who voted (never what), read when it is drawn: however many votes arrived
since the last drawing, one chat.update shows them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.i18n import t
from bot.kit.objects import case_of, payload_int
from bot.kit.runtime import Deps
from bot.kit.scale_words import scale_title
from bot.kit.slack import uploaded_id
from bot.outbox import RenderContext, Rendered, RenderFailed, lays_out, post_or_update
from bot.votes.blocks import (
    Ballot,
    Results,
    back_at_scale,
    chart_labels,
    results_messages,
    short_date,
    trend_message,
    voting_message,
)
from bot.votes.scores import scores_of_case
from flows.scale import TrendPoint
from flows.steps import Step, StepKind, step_by_key
from storage.meetings import meeting_by_id
from storage.models import Case, Meeting, row_id
from storage.votes import (
    ScaleRound,
    eligible_voters,
    round_by_id,
    set_round_messages,
    voters,
    votes,
)


def scale_step(deps: Deps, meeting: Meeting, step_key: str) -> Step | None:
    # By its key: a meeting that went on in another phase votes on that phase's scale.
    step = step_by_key(deps.catalogue, step_key)
    return step if step is not None and step.kind is StepKind.SCALE else None


async def _round(deps: Deps, ctx: RenderContext) -> tuple[Meeting, ScaleRound, Step]:
    round_id = payload_int(ctx.payload, "round")
    async with deps.db.session() as session:
        scale_round = await round_by_id(session, round_id=round_id)
        meeting = (
            await meeting_by_id(session, meeting_id=scale_round.meeting_id)
            if scale_round is not None
            else None
        )
    if scale_round is None or meeting is None:
        raise RenderFailed("round_gone")
    step = scale_step(deps, meeting, scale_round.step_key)
    if step is None:
        raise RenderFailed("step_gone")
    return meeting, scale_round, step


async def render_ballot(deps: Deps, ctx: RenderContext) -> Rendered:
    """The live voting message: who voted so far, the buttons while the round is open."""
    meeting, scale_round, step = await _round(deps, ctx)
    round_id = row_id(scale_round)
    async with deps.db.session() as session:
        who = await voters(session, round_id=round_id)
        eligible = await eligible_voters(
            session, meeting_id=row_id(meeting), case_id=meeting.case_id
        )
    lang = deps.settings.language
    ballot = Ballot(
        step,
        row_id(meeting),
        scale_round.number,
        voters=who,
        eligible=len(eligible),
        open=scale_round.closed_at is None,
        named=deps.settings.scores_named,
    )
    rendered = await post_or_update(
        ctx,
        text=t(lang, "votes.ballot_text", round=scale_round.number, question=step.text.get(lang)),
        blocks=voting_message(lang, ballot),
    )
    if rendered.ts and rendered.ts != scale_round.message_ts:
        async with deps.db.session() as session:
            await set_round_messages(session, round_id=round_id, message_ts=rendered.ts)
    return rendered


async def results_for(
    session: AsyncSession, deps: Deps, meeting: Meeting, scale_round: ScaleRound
) -> list[list[dict[str, Any]]]:
    """The revealed round's messages: every score by name, the spread, the prompts."""
    step = scale_step(deps, meeting, scale_round.step_key)
    if step is None:
        return []
    round_id = row_id(scale_round)
    scores = await votes(session, round_id=round_id)
    eligible = await eligible_voters(session, meeting_id=row_id(meeting), case_id=meeting.case_id)
    results = Results(
        step=step,
        meeting_id=row_id(meeting),
        round=scale_round.number,
        votes=scores,
        eligible=len(eligible),
        spread_threshold=deps.settings.spread_threshold,
        named=deps.settings.scores_named,
    )
    return results_messages(deps.settings.language, results)


async def render_results(deps: Deps, ctx: RenderContext) -> Rendered:
    meeting, scale_round, _ = await _round(deps, ctx)
    part = payload_int(ctx.payload, "part")
    async with deps.db.session() as session:
        parts = await results_for(session, deps, meeting, scale_round)
    if part >= len(parts):
        return Rendered()
    lang = deps.settings.language
    rendered = await post_or_update(
        ctx, text=t(lang, "votes.results_header", round=scale_round.number), blocks=parts[part]
    )
    if part == 0 and rendered.ts and rendered.ts != scale_round.results_ts:
        async with deps.db.session() as session:
            await set_round_messages(session, round_id=row_id(scale_round), results_ts=rendered.ts)
    return rendered


async def render_back_at_scale(deps: Deps, ctx: RenderContext) -> Rendered:
    """The meeting went back to a scale question that already has rounds: offer a new one."""
    lang = deps.settings.language
    meeting_id = payload_int(ctx.payload, "meeting")
    last_round = payload_int(ctx.payload, "round")
    return await post_or_update(
        ctx,
        text=t(lang, "votes.back_at_scale"),
        blocks=back_at_scale(lang, meeting_id, last_round),
    )


async def trend_for(
    session: AsyncSession, deps: Deps, case: Case, *, lang: str | None = None
) -> list[list[dict[str, Any]]]:
    """The case's trend: its messages (in the channel's language unless `lang` is given for a
    private answer), none while no round was revealed."""
    _, points = await scores_of_case(session, row_id(case))
    if not points:
        return []
    phases = {phase.key: phase for phase in deps.catalogue.phases}
    lang = lang or deps.settings.language
    return trend_message(
        lang,
        code=case.code,
        points=points,
        phases=phases,
        tz=deps.settings.timezone,
        titles=scale_titles(lang, deps, points),
    )


def scale_titles(lang: str, deps: Deps, points: Sequence[TrendPoint]) -> dict[str, str]:
    """Each scale's title, for the scores given on it."""
    return {p.scale: scale_title(lang, deps.catalogue, p.scale) for p in points}


async def render_trend(deps: Deps, ctx: RenderContext) -> Rendered:
    """One message of the case's trend: the medians per meeting, the family's view."""
    case = await case_of(deps, ctx)
    part = payload_int(ctx.payload, "part")
    async with deps.db.session() as session:
        parts = await trend_for(session, deps, case)
    if part >= len(parts):
        return Rendered()
    title = t(deps.settings.language, "trend.title", code=case.code)
    return await post_or_update(ctx, text=title, blocks=parts[part])


@lays_out
async def render_trend_chart(deps: Deps, ctx: RenderContext) -> Rendered:
    """The trend's chart as a PNG in the trend's thread. A file carries no metadata: a retry
    after an upload whose answer was lost uploads it again."""
    case = await case_of(deps, ctx)
    if ctx.file_id is not None:
        return Rendered(file_id=ctx.file_id)  # files cannot be edited; the chart stays
    async with deps.db.session() as session:
        _, points = await scores_of_case(session, row_id(case))
    if not points:
        return Rendered()
    from bot.votes.trend_chart import render_png  # matplotlib loads only when a chart is asked

    lang, tz = deps.settings.language, deps.settings.timezone
    # Drawing takes a moment of CPU: off the event loop, so clicks keep being answered.
    titles = scale_titles(lang, deps, points)
    png = await asyncio.to_thread(render_png, points, chart_labels(lang, case.code), tz, titles)
    last = short_date(points[-1].held_at, tz)
    response = await ctx.client.files_upload_v2(
        channel=ctx.channel_id,
        thread_ts=ctx.thread_ts,
        file=png,
        alt_txt=t(lang, "trend.chart_title", code=case.code),
        filename=f"trend-{case.code}-{last}.png",
        title=t(lang, "trend.chart_title", code=case.code),
        # No initial comment: a message whose ts comes only later, which the purge would miss.
    )
    return Rendered(file_id=uploaded_id(response))
