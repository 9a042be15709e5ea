"""`/casus verslag` and `/casus tijdlijn` (participants, also of a closed case: Access.READ)."""

from __future__ import annotations

from bot.kit.runtime import CaseTurn, Declined
from bot.reports.publish import publish_report
from bot.reports.timeline import post_timeline
from bot.votes.trend import post_trend
from storage.meetings import meetings_of_case
from storage.models import MeetingStatus, row_id


async def report(turn: CaseTurn) -> None:
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
    await publish_report(turn.deps, turn.client, meeting_id=row_id(held[-1]), actor=turn.user_id)


async def timeline(turn: CaseTurn) -> None:
    """Every meeting, phase change and bodemeis check of the case, then the score trend."""
    await post_timeline(turn.deps, turn.client, case=turn.case)

    async def none_yet(code: str) -> None:
        await turn.answer(turn.t("trend.none", code=code))

    await post_trend(turn.deps, turn.client, case=turn.case, none_yet=none_yet)
