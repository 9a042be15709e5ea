"""`/casus verslag` and `/casus tijdlijn` (participants, also of a closed case: Access.READ).

The report posts new objects in Slack (asked for before the ack, rendered after it); the
timeline answers privately first, and its share button posts it."""

from __future__ import annotations

from bot.kit.blocks import with_share_button
from bot.kit.ids import ActionId
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.reports.objects import want_report, want_timeline
from bot.reports.timeline import timeline_for
from bot.votes.objects import trend_parts
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
    """Every meeting, phase change and bodemeis check of the case, then the score trend:
    privately in the asker's language, with a button to share it in the channel."""
    return later(_private_timeline, turn)


async def _private_timeline(turn: CaseTurn) -> None:
    await turn.settle_language()
    async with turn.deps.db.session() as session:
        parts = await timeline_for(session, turn.deps, turn.case, lang=turn.lang)
        parts += await trend_parts(session, turn.deps, turn.case, lang=turn.lang)
    title = turn.t("timeline.title", code=turn.case.code)
    share = turn.t("trend.share_button")
    ref = Ref(case_id=turn.case_id)
    for blocks in with_share_button(parts, share, ActionId.SHARE_TIMELINE, ref):
        await turn.answer(title, blocks=blocks)


async def share_timeline(turn: CaseTurn) -> Followup:
    """The shared timeline: new posts in the case channel (objects the purge finds again)."""
    async with turn.deps.db.session() as session:
        rows, chart = await want_timeline(session, turn.deps, turn.case)
    return later(turn.show, rows, quiet=chart)
