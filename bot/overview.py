"""The Vooraf overview at the start of a meeting: what is known before it begins.

Each part is gathered by its own function so the features that own the data (prep answers,
actions, bodemeis checks) fill in their part here without touching the meeting code.
"""

from __future__ import annotations

import bot.agreements
from bot import prep
from bot.blocks.meeting import Overview
from bot.runtime import Turn
from storage.models import Case, Meeting


async def prep_lines(turn: Turn, case: Case, meeting: Meeting) -> list[str]:
    """Prep answers per question, attributed by organisation; pre-scores as a distribution."""
    return await prep.overview_prep_lines(turn.deps, meeting, turn.channel_lang)


async def open_action_lines(turn: Turn, case: Case, meeting: Meeting) -> list[str]:
    """Actions of this case that are still open, soonest due first; overdue ones marked."""
    return await bot.agreements.overview_action_lines(turn.deps, case, turn.channel_lang)


async def bodemeis_check_lines(turn: Turn, case: Case, meeting: Meeting) -> list[str]:
    """Bodemeis checks since the previous meeting ended: per bodemeis, each answer by date."""
    return await bot.agreements.overview_check_lines(turn.deps, case, meeting, turn.channel_lang)


async def gather(turn: Turn, case: Case, meeting: Meeting) -> Overview:
    return Overview(
        prep=await prep_lines(turn, case, meeting),
        open_actions=await open_action_lines(turn, case, meeting),
        bodemeis_checks=await bodemeis_check_lines(turn, case, meeting),
    )
