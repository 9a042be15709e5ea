"""`/casus verslag`: the report of the case's latest meeting, uploaded to its thread."""

from __future__ import annotations

from bot.report.publish import publish_report
from bot.runtime import Turn
from storage.meetings import meetings_of_case
from storage.models import MeetingStatus


async def post_report(turn: Turn) -> None:
    async with turn.deps.db.session() as session:
        meetings = await meetings_of_case(session, case_id=turn.case.id)
    held = [
        m
        for m in meetings
        if m.status in (MeetingStatus.ENDED, MeetingStatus.RUNNING) and m.thread_ts
    ]
    if not held:
        await turn.tell(turn.t("report.no_meeting", code=turn.case.code))
        return
    await publish_report(turn.deps, turn.client, meeting_id=held[-1].id, actor=turn.user_id or "?")
