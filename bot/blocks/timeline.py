"""A case's timeline: its meetings, phase changes and bodemeis checks, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.common import MESSAGE_BLOCK_LIMIT, dicts, local_time, mention, split_text
from bot.i18n import t


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
            SectionBlock(text=MarkdownTextObject(text=chunk))
            for chunk in split_text(f"*{t(lang, title_key)}*\n{body}")
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
        HeaderBlock(text=t(lang, "timeline.title", code=timeline.code)[:150]),
        *part("timeline.meetings", meetings),
        *part("timeline.phases", phases),
        *part("timeline.checks", checks),
    ]
    return [
        dicts(blocks[i : i + MESSAGE_BLOCK_LIMIT])
        for i in range(0, len(blocks), MESSAGE_BLOCK_LIMIT)
    ]
