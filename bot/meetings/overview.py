"""The Vooraf overview at the start of a meeting: what is known before it begins.

Each part comes from the feature that owns its data (prep answers; open actions and bodemeis
checks), so they fill in their part here without touching the meeting code.
"""

from __future__ import annotations

from bot.agreements.overview import check_lines, open_action_lines
from bot.kit.runtime import Deps
from bot.meetings.blocks import Overview
from bot.prep.overview import prep_lines
from storage.models import Case, Meeting


async def gather(deps: Deps, case: Case, meeting: Meeting) -> Overview:
    lang = deps.settings.language  # the overview is posted in the case channel
    return Overview(
        prep=await prep_lines(deps, meeting, lang),
        open_actions=await open_action_lines(deps, case, lang),
        bodemeis_checks=await check_lines(deps, case, meeting, lang),
    )
