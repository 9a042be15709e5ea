"""The summary posted in the thread when a meeting ends: the minutes per question, the
Schaalvraag's rounds and trend, the decision and what happens next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.blocks import MESSAGE_BLOCK_LIMIT
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.meetings.blocks import Summary, SummaryItem, summary_messages
from bot.meetings.use_cases import Applied
from bot.votes.blocks import RoundLine, summary_blocks
from bot.votes.use_cases import case_scores
from flows.events import MeetingEnded
from flows.steps import StepKind
from storage.contributions import contributions
from storage.models import row_id, thread_of


async def post_summary(
    deps: Deps, client: AsyncWebClient, applied: Applied, ended: MeetingEnded
) -> None:
    lang, catalogue = deps.settings.language, deps.catalogue
    phase, steps = applied.phase, applied.steps
    async with deps.db.session() as session:
        replies = await contributions(session, meeting_id=applied.meeting_id)
    by_step: dict[str, list[str]] = {}
    for reply in replies:
        condensed = " ".join((reply.text or "").split())
        by_step.setdefault(reply.step_key, []).append(f"<@{reply.user_id}>: {condensed}")
    decision = phase.decision_point.option(ended.decision) if ended.decision else None
    summary = Summary(
        code=applied.case.code,
        phase=phase,
        items=[SummaryItem(step, by_step[step.key]) for step in steps if step.key in by_step],
        decision=decision.text.get(lang) if decision else None,
        decided_by=applied.meeting.decided_by,
        next_phase=catalogue.phase(ended.next_phase) if ended.next_phase else None,
        closed=ended.closed,
        skipped=[s for s in steps if s.key in ended.skipped],
    )
    scale = await scale_part(deps, applied)
    channel, thread_ts = thread_of(applied.meeting)
    for blocks in with_summary_part(summary_messages(lang, summary), scale):
        await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=t(lang, "summary.header", code=applied.case.code),
            blocks=blocks,
        )


async def scale_part(deps: Deps, applied: Applied) -> list[dict[str, Any]]:
    """The Schaalvraag's lines for the summary: rounds, family view, the case's trend."""
    rounds, points = await case_scores(deps, row_id(applied.case))
    mine = [RoundLine(r.round, r.tally) for r in rounds if r.meeting_id == applied.meeting_id]
    family = next((r.family for r in rounds if r.meeting_id == applied.meeting_id), None)
    has_scale = any(s.kind is StepKind.SCALE for s in applied.steps)
    if not mine and family is None and not has_scale:
        return []
    return summary_blocks(deps.settings.language, mine, family, points)


def with_summary_part(
    messages: list[list[dict[str, Any]]],
    part: Sequence[dict[str, Any]],
    limit: int = MESSAGE_BLOCK_LIMIT,
) -> list[list[dict[str, Any]]]:
    """Put the scale part before the summary's closing divider (decision and what next)."""
    if not part:
        return messages
    last = list(messages[-1])
    if len(last) + len(part) > limit:
        return [*messages, list(part)]
    dividers = [i for i, block in enumerate(last) if block.get("type") == "divider"]
    at = dividers[-1] if dividers else len(last)
    return [*messages[:-1], last[:at] + list(part) + last[at:]]
