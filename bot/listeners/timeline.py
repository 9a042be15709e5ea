"""`/casus tijdlijn`: every meeting, phase change and bodemeis check of the case, then the
score trend with its chart."""

from __future__ import annotations

from sqlmodel import col, select

from bot.blocks.timeline import CheckEntry, MeetingEntry, PhaseEntry, Timeline, timeline_messages
from bot.listeners.votes import post_trend
from bot.runtime import Turn
from storage.bodemeis_checks import checks_since
from storage.meetings import load_state, meetings_of_case
from storage.models import AuditEvent


async def post_timeline(turn: Turn) -> None:
    case, lang, catalogue = turn.case, turn.channel_lang, turn.deps.catalogue

    def title(phase_key: str) -> str:
        known = phase_key in catalogue.phase_keys
        return catalogue.phase(phase_key).title.get(lang) if known else phase_key

    async with turn.deps.db.session() as session:
        meetings = await meetings_of_case(session, case_id=case.id)
        changes = (
            await session.exec(
                select(AuditEvent)
                .where(AuditEvent.case_id == case.id, AuditEvent.action == "phase_changed")
                .order_by(col(AuditEvent.id))
            )
        ).all()
        checks = await checks_since(session, case_id=case.id, since=None)
    entries = []
    for meeting in meetings:
        state = load_state(meeting)
        phase = catalogue.phase(meeting.phase) if meeting.phase in catalogue.phase_keys else None
        decision = phase.decision_point.option(state.decision) if phase and state.decision else None
        entries.append(
            MeetingEntry(
                when=meeting.started_at or meeting.scheduled_at,
                phase=title(meeting.phase),
                status=meeting.status,
                decision=decision.text.get(lang) if decision else None,
            )
        )
    phase_changes = []
    for event in changes:
        old, _, new = event.detail.partition(" -> ")
        phase_changes.append(PhaseEntry(event.at, title(old), title(new), event.actor))
    check_entries = sorted(
        (CheckEntry(c.answered_at, a.text or "", c.answer, c.answered_by) for c, a in checks),
        key=lambda entry: entry.when,
    )
    timeline = Timeline(case.code, entries, phase_changes, check_entries)
    for blocks in timeline_messages(lang, timeline, turn.deps.settings.timezone):
        await turn.client.chat_postMessage(
            channel=case.channel_id, text=turn.t("timeline.title", code=case.code), blocks=blocks
        )
    await post_trend(turn)
