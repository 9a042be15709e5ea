"""`/casus verslag` and `/casus tijdlijn` (participants, also of a closed case: Access.READ).

Both post new objects in Slack: asked for before the ack, rendered after it."""

from __future__ import annotations

from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.reports.objects import want_report, want_timeline
from storage.meetings import latest_ended, running_meeting


async def report(turn: CaseTurn) -> Followup:
    """The report of the case's latest ended meeting, uploaded to its thread; while a meeting
    runs the asker is told its report follows when it ends."""
    async with turn.deps.db.session() as session:
        running = await running_meeting(session, case_id=turn.case_id)
        ended = await latest_ended(session, case_id=turn.case_id)
        if ended is None or not ended.thread_ts:
            key = "report.running_no_ended" if running else "report.no_meeting"
            raise Declined(key, code=turn.case.code)
        files = await want_report(session, turn.deps, ended, by=turn.user_id)
    return later(_report_follows, turn, files, running is not None)


async def _report_follows(turn: CaseTurn, files: list[int], running: bool) -> None:
    if running:
        await turn.answer(turn.t("report.running_previous", code=turn.case.code))
    await turn.show([], quiet=files)


async def timeline(turn: CaseTurn) -> Followup:
    """Every meeting, phase change and bodemeis check of the case, then the score trend."""
    async with turn.deps.db.session() as session:
        rows, chart = await want_timeline(session, turn.deps, turn.case)
    return later(turn.show, rows, quiet=chart)
