"""The prep part of the Vooraf overview: answers per question, attributed by organisation
(never by name); pre-scores only as a distribution."""

from __future__ import annotations

from bot.kit.runtime import Deps
from bot.prep.blocks import PrepContent, overview_lines
from flows.schedule import ReminderKind
from storage.models import Meeting, row_id
from storage.prep import pre_score_distribution, prep_status, preps_of_meeting
from storage.reminders import reminders_for


async def prep_lines(deps: Deps, meeting: Meeting, lang: str) -> list[str]:
    """Empty when nobody was asked to prepare (a meeting started on the spot), so the overview
    does not list everyone as 'not prepared'."""
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        preps = await preps_of_meeting(session, meeting_id=meeting_id)
        status = await prep_status(session, meeting_id=meeting_id)
        distribution = await pre_score_distribution(session, meeting_id=meeting_id)
        asked = {
            r.user_id
            for r in await reminders_for(session, meeting_id=meeting_id)
            if r.kind == ReminderKind.PREP
        }
    if not preps and not asked:
        return []
    try:
        phase = deps.catalogue.phase(meeting.phase)
    except KeyError:
        return []
    return overview_lines(
        lang,
        phase,
        preps=[PrepContent(organisation=p.organisation, texts=p.texts) for p in preps],
        missing=[e.organisation for e in status.pending],
        distribution=distribution,
    )
