"""What the Markdown documents (the veiligheidsplan, the agreements for the family) share:
dates written out in Dutch or English, and user text made safe to put in a Markdown line.

Written out ("dinsdag 16 maart 2027") because these documents are read outside the meeting, by
people who should not have to decode "16-03"; in the case's zone, because that is the wall
clock everyone lives by.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.text import language_of

_DAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# Characters that mean something in (canvas) Markdown at any place in a line.
_SPECIAL = re.compile(r"([\\`*_~\[\]()<>#|!])")
_LIST_START = re.compile(r"^(\s*)([-+]|\d+[.)])(\s)")


def long_date(day: date, lang: str | None) -> str:
    """16 maart 2027 / 16 March 2027."""
    return f"{day.day} {_MONTHS[language_of(lang)][day.month - 1]} {day.year}"


def weekday_date(day: date, lang: str | None) -> str:
    """dinsdag 16 maart 2027 / Tuesday 16 March 2027."""
    return f"{_DAYS[language_of(lang)][day.weekday()]} {long_date(day, lang)}"


def moment(at: datetime, tz: ZoneInfo, lang: str | None) -> str:
    """dinsdag 16 maart 2027, 10:00 — in the case's zone."""
    local = at.astimezone(tz)
    return f"{weekday_date(local.date(), lang)}, {local:%H:%M}"


def inline(text: str, *, limit: int | None = None) -> str:
    """User text as one safe Markdown line: whitespace (newlines too) collapsed, every
    character Markdown would act on escaped — so a typed "![](@U…)" mentions nobody and a
    typed "# …" makes no heading. With `limit`, cut at a word to at most that many
    characters, ending in "…"."""
    flat = " ".join(text.split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rsplit(" ", 1)[0].rstrip() + "…"
    escaped = _SPECIAL.sub(r"\\\1", flat)
    # A line that starts like a list item ("1. …", "- …") would become one.
    return _LIST_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}{m[3]}", escaped)


def mention(user_id: str) -> str:
    """A person as a canvas shows them: `![](@U…)` (a `<@U…>` is not rendered in canvases)."""
    if not re.fullmatch(r"[UW][A-Z0-9]{2,31}", user_id):
        raise ValueError("not a Slack user id")
    return f"![](@{user_id})"
