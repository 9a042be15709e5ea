"""Does what people see equal what is stored? Read from the sandbox's messages, compared with
the vote table: the live "who voted" count, and after the reveal every score by name and the
bar chart's counts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlmodel import select

from bot.kit.i18n import t
from storage.db import Database
from storage.votes import ScaleRound, Vote, eligible_voters

PER_PERSON = re.compile(r"^\*(\d+)\* — (.*)$")
BAR = re.compile(r"^\s*(\d+) │ [█ ]*\s+(\d+)$")
MENTION = re.compile(r"<@(\w+)>")


def message_text(message: dict[str, Any]) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
    return "\n".join(parts)


async def stored_votes(db: Database, meeting_id: int, number: int = 1) -> dict[str, int]:
    async with db.session() as session:
        query = (
            select(Vote.user_id, Vote.value)
            # A model attribute compared is a SQL expression; mypy sees a bool.
            .join(ScaleRound, ScaleRound.id == Vote.round_id)  # type: ignore[arg-type]
            .where(ScaleRound.meeting_id == meeting_id, ScaleRound.number == number)
        )
        return {user: value for user, value in (await session.exec(query)).all()}


async def live_count_matches(
    db: Database, lang: str, ballot: dict[str, Any], meeting_id: int, case_id: int
) -> bool:
    """The open voting message says 'Gestemd: n van m' with n = the stored votes."""
    stored = await stored_votes(db, meeting_id)
    async with db.session() as session:
        eligible = await eligible_voters(session, meeting_id=meeting_id, case_id=case_id)
    expected = t(lang, "votes.voted", n=len(stored), m=len(eligible))
    return expected in message_text(ballot)


def shown_results(messages: list[dict[str, Any]]) -> tuple[dict[str, int], Counter[int]]:
    """Scores by person and bar-chart counts, from the results messages after the reveal."""
    by_person: dict[str, int] = {}
    bars: Counter[int] = Counter()
    for message in messages:
        for line in message_text(message).splitlines():
            person = PER_PERSON.match(line)
            if person:
                for user in MENTION.findall(person.group(2)):
                    by_person[user] = int(person.group(1))
            bar = BAR.match(line)
            if bar and int(bar.group(2)):
                bars[int(bar.group(1))] = int(bar.group(2))
    return by_person, bars


def results_match(stored: dict[str, int], messages: list[dict[str, Any]]) -> bool:
    """The bar chart matches the vote table, and so does every score by name when scores are
    named (CASUSBOT_SCORES_NAMED; by default the reveal shows the distribution only)."""
    by_person, bars = shown_results(messages)
    return (not by_person or by_person == stored) and bars == Counter(stored.values())
