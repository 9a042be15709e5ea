"""Small helpers shared by the Block Kit builders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ButtonElement

from bot.i18n import t
from bot.payloads import Ref

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50


def button(
    text: str, action_id: str, ref: Ref, *, style: str | None = None, confirm: Any = None
) -> ButtonElement:
    return ButtonElement(
        text=text[:75], action_id=action_id, value=ref.encode(), style=style, confirm=confirm
    )


def dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def local_time(lang: str, moment: datetime | None, tz: ZoneInfo) -> str:
    """'di 3 mrt 2026 14:00' in the meeting's zone; the catalogue holds the day/month names."""
    if moment is None:
        return t(lang, "meeting.no_date")
    local = moment.astimezone(tz)
    day = t(lang, "dates.days").split(",")[local.weekday()]
    month = t(lang, "dates.months").split(",")[local.month - 1]
    return f"{day} {local.day} {month} {local.year} {local:%H:%M}"


def local_day(lang: str, day: date) -> str:
    """'4 dec 2026': a date without a time (due dates)."""
    month = t(lang, "dates.months").split(",")[day.month - 1]
    return f"{day.day} {month} {day.year}"


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split long text on line breaks so no section exceeds Slack's limit; nothing is cut."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one enormous line: split it hard, still losing nothing
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def number(lang: str, value: float) -> str:
    """4.5 in English, 4,5 in Dutch."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "nl" else text
