"""Small helpers shared by the Block Kit builders: text objects, buttons, modals, dates, and
splitting long content over sections and messages (never cut) within Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.kit.i18n import t
from bot.kit.payloads import Ref
from flows.model import Catalogue

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 75
# A modal's title, submit and close texts.
MODAL_TEXT_LIMIT = 24


def md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def context(text: str) -> ContextBlock:
    """A line of small print."""
    return ContextBlock(elements=[md(text)])


def button(
    text: str,
    action_id: str,
    ref: Ref,
    *,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=text[:BUTTON_TEXT_LIMIT],
        action_id=action_id,
        value=ref.encode(),
        style=style,
        confirm=confirm,
    )


def dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def messages(blocks: Sequence[Block]) -> list[list[dict[str, Any]]]:
    """Blocks cut into as many messages as Slack's 50 blocks per message need."""
    return [
        dicts(blocks[i : i + MESSAGE_BLOCK_LIMIT])
        for i in range(0, len(blocks), MESSAGE_BLOCK_LIMIT)
    ]


def modal(
    lang: str, callback_id: str, texts: tuple[str, str, str], *, ref: Ref, blocks: Sequence[Block]
) -> dict[str, Any]:
    """A modal that carries `ref` in its metadata. `texts` are the catalogue keys of its title,
    submit and close buttons, cut to Slack's 24 characters."""
    title, submit, close = (t(lang, key)[:MODAL_TEXT_LIMIT] for key in texts)
    view = View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close=close,
        private_metadata=ref.encode(),
        blocks=list(blocks),
    )
    return view.to_dict()


def phase_select(
    lang: str, catalogue: Catalogue, initial: str, action_id: str
) -> StaticSelectElement:
    """The catalogue's phases, `initial` chosen (the first when it is not one of them)."""
    options = [
        Option(value=p.key, text=p.title.get(lang)[:OPTION_TEXT_LIMIT]) for p in catalogue.phases
    ]
    chosen = next((o for o in options if o.value == initial), options[0])
    return StaticSelectElement(action_id=action_id, options=options, initial_option=chosen)


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


def local_date(lang: str, day: date) -> str:
    """'ma 7 dec 2026': the catalogue's day and month names, no time."""
    weekday = t(lang, "dates.days").split(",")[day.weekday()]
    return f"{weekday} {local_day(lang, day)}"


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


def with_share_button(
    parts: list[list[dict[str, Any]]], text: str, action_id: str, ref: Ref
) -> list[list[dict[str, Any]]]:
    """A private answer's messages with a button under the last to post it in the channel
    (in a message of its own when the last is full)."""
    share = ActionsBlock(block_id="share", elements=[button(text, action_id, ref)]).to_dict()
    if parts and len(parts[-1]) < MESSAGE_BLOCK_LIMIT:
        return [*parts[:-1], [*parts[-1], share]]
    return [*parts, [share]]
