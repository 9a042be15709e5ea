"""A case's timeline in its channel: its meetings, phase changes and bodemeis checks, oldest
first (`/casus tijdlijn`; the score trend follows it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, HeaderBlock, SectionBlock
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.blocks import HEADER_LIMIT, local_time, md, mention, messages, split_text
from bot.kit.i18n import t
from bot.kit.objects import case_of, payload_int
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, post_or_update
from flows import meeting as machine
from storage.audit import phase_changes
from storage.bodemeis_checks import checks_since
from storage.meetings import load_state, meetings_of_case
from storage.models import Case, row_id


@dataclass(frozen=True, slots=True)
class MeetingEntry:
    when: datetime | None
    phase: str  # the phase's title, in the reader's language
    status: str
    decision: str | None


@dataclass(frozen=True, slots=True)
class PhaseEntry:
    when: datetime
    from_phase: str
    to_phase: str
    by: str


@dataclass(frozen=True, slots=True)
class CheckEntry:
    when: datetime
    bodemeis: str
    answer: str
    by: str | None


@dataclass(frozen=True, slots=True)
class Timeline:
    code: str
    meetings: Sequence[MeetingEntry]
    phase_changes: Sequence[PhaseEntry]
    checks: Sequence[CheckEntry]


def timeline_messages(lang: str, timeline: Timeline, tz: ZoneInfo) -> list[list[dict[str, Any]]]:
    def part(title_key: str, lines: list[str]) -> list[Block]:
        body = "\n".join(lines) if lines else f"_{t(lang, 'timeline.none')}_"
        return [
            SectionBlock(text=md(chunk)) for chunk in split_text(f"*{t(lang, title_key)}*\n{body}")
        ]

    meetings = [
        t(
            lang,
            "timeline.meeting",
            when=local_time(lang, m.when, tz),
            phase=m.phase,
            status=t(lang, f"timeline.status_{m.status}"),
            decision=m.decision or "—",
        )
        for m in timeline.meetings
    ]
    phases = [
        t(
            lang,
            "timeline.phase_change",
            when=local_time(lang, p.when, tz),
            old=p.from_phase,
            new=p.to_phase,
            by=mention(p.by) if p.by.startswith("U") else p.by,
        )
        for p in timeline.phase_changes
    ]
    checks = [
        t(
            lang,
            "timeline.check",
            when=local_time(lang, c.when, tz),
            bodemeis=c.bodemeis,
            answer=t(lang, f"home.answer_{c.answer}"),
            by=mention(c.by) if c.by else "—",
        )
        for c in timeline.checks
    ]
    blocks: list[Block] = [
        HeaderBlock(text=t(lang, "timeline.title", code=timeline.code)[:HEADER_LIMIT]),
        *part("timeline.meetings", meetings),
        *part("timeline.phases", phases),
        *part("timeline.checks", checks),
    ]
    return messages(blocks)


async def timeline_for(
    session: AsyncSession, deps: Deps, case: Case, *, lang: str | None = None
) -> list[list[dict[str, Any]]]:
    """The case's timeline messages, from what is stored now (in the channel's language unless
    `lang` is given for a private answer)."""
    lang = lang or deps.settings.language
    catalogue, case_id = deps.catalogue, row_id(case)

    def title(phase_key: str) -> str:
        known = phase_key in catalogue.phase_keys
        return catalogue.phase(phase_key).title.get(lang) if known else phase_key

    meetings = await meetings_of_case(session, case_id=case_id)
    changes = await phase_changes(session, case_id=case_id)
    checks = await checks_since(session, case_id=case_id, since=None)
    entries = []
    for meeting in meetings:
        state = load_state(meeting)
        taken = machine.decisions_taken(catalogue, state)
        entries.append(
            MeetingEntry(
                when=meeting.started_at or meeting.scheduled_at,
                phase=" → ".join(title(p) for p in state.route),
                status=meeting.status,
                decision="; ".join(d.text.get(lang) for d in taken) or None,
            )
        )
    phase_entries = []
    for event in changes:
        old, _, new = event.detail.partition(" -> ")
        phase_entries.append(PhaseEntry(event.at, title(old), title(new), event.actor))
    check_entries = sorted(
        (CheckEntry(c.answered_at, a.text or "", c.answer, c.answered_by) for c, a in checks),
        key=lambda entry: entry.when,
    )
    timeline = Timeline(case.code, entries, phase_entries, check_entries)
    return timeline_messages(lang, timeline, deps.settings.timezone)


async def render_timeline(deps: Deps, ctx: RenderContext) -> Rendered:
    """One message of the case's timeline (a post asked for by `/casus tijdlijn`)."""
    case = await case_of(deps, ctx)
    async with deps.db.session() as session:
        parts = await timeline_for(session, deps, case)
    part = payload_int(ctx.payload, "part")
    if part >= len(parts):
        return Rendered()
    title = t(deps.settings.language, "timeline.title", code=case.code)
    return await post_or_update(ctx, text=title, blocks=parts[part])
