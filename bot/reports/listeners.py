"""`/casus verslag` and `/casus tijdlijn` (participants, also of a closed case: Access.READ).

Both post new objects in Slack: asked for before the ack, rendered after it."""

from __future__ import annotations

from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.reports.objects import want_report, want_timeline
from storage.meetings import meetings_of_case
from storage.models import MeetingStatus


async def report(turn: CaseTurn) -> Followup:
    """The report of the case's latest meeting, uploaded to its thread."""
    async with turn.deps.db.session() as session:
        meetings = await meetings_of_case(session, case_id=turn.case_id)
        held = [
            m
            for m in meetings
            if m.status in (MeetingStatus.ENDED, MeetingStatus.RUNNING) and m.thread_ts
        ]
        if not held:
            raise Declined("report.no_meeting", code=turn.case.code)
        files = await want_report(session, turn.deps, held[-1], by=turn.user_id)
    return later(turn.show, [], quiet=files)


async def timeline(turn: CaseTurn) -> Followup:
    """Every meeting, phase change and bodemeis check of the case, then the score trend."""
    async with turn.deps.db.session() as session:
        rows, chart = await want_timeline(session, turn.deps, turn.case)
    return later(turn.show, rows, quiet=chart)
