"""Prep before a meeting (issue 7): its reminders scheduled with the planning, answers saved,
and the planning message showing who prepared.

When a meeting is planned, `schedule_for` schedules, per invitee, the prep DM (some working days
before), one nudge (for whoever has not answered by then) and the meeting reminder. Answers can
be changed until the meeting starts. The regisseurs see who answered in the planning message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.blocks import local_time
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import error_code, open_dm
from bot.meetings.objects import bump_planning
from bot.prep.blocks import MeetingInfo, PrepContent, answered_dm, overview_lines, review_messages
from flows.model import Phase
from flows.schedule import MeetingReminderPlan, ReminderKind
from storage import audit
from storage.models import Case, Meeting, MeetingStatus, row_id
from storage.prep import (
    pre_score_distribution,
    prep_status,
    preps_of_meeting,
    save_prep,
    save_summary,
    summary_of,
)
from storage.reminders import ReminderStatus, reminders_for, schedule_meeting_reminders
from storage.types import utcnow

log = logging.getLogger("casusbot.prep")

PREP_KINDS = (ReminderKind.PREP, ReminderKind.PREP_NUDGE)


# --- planning ---------------------------------------------------------------------------------


def reminder_plan(deps: Deps) -> MeetingReminderPlan:
    """The lead times from the settings; whoever moves a meeting re-times with the same plan."""
    settings = deps.settings
    return MeetingReminderPlan(
        prep_working_days=settings.prep_lead_days,
        nudge_working_days=max(settings.prep_nudge_days, 1),
        meeting_lead=timedelta(hours=settings.meeting_reminder_hours),
    )


async def schedule_for(
    session: AsyncSession,
    deps: Deps,
    meeting: Meeting,
    invited: Iterable[str],
    *,
    now: datetime | None = None,
) -> int:
    """Schedule the prep DM, the nudge and the meeting reminder for each invitee, in the
    caller's transaction (the planning and its reminders commit together). How many rows."""
    if meeting.scheduled_at is None:
        raise ValueError(f"meeting {meeting.id} has no time: nothing to remind of")
    kinds = [ReminderKind.PREP, ReminderKind.MEETING]
    if deps.settings.prep_nudge_days > 0:
        kinds.append(ReminderKind.PREP_NUDGE)
    return await schedule_meeting_reminders(
        session,
        case_id=meeting.case_id,
        meeting_id=row_id(meeting),
        meeting_at=meeting.scheduled_at,
        invitees=invited,
        now=now or utcnow(),
        hours=deps.settings.working_hours,
        tz=deps.settings.timezone,
        kinds=kinds,
        plan=reminder_plan(deps),
    )


def meeting_info(deps: Deps, case: Case, meeting: Meeting, phase: Phase) -> MeetingInfo:
    return MeetingInfo(
        code=case.code, phase=phase, when=meeting.scheduled_at, tz=deps.settings.timezone
    )


# --- the answers --------------------------------------------------------------------------------


async def save_answers(
    deps: Deps,
    *,
    case: Case,
    meeting: Meeting,
    user_id: str,
    texts: Mapping[str, str],
    pre_score: int | None,
) -> tuple[int, ...]:
    """Store the invitee's answers (they replace earlier ones); in the same transaction the
    planning message is asked to show they prepared. The rows to render after the ack."""
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        stored = await save_prep(
            session, meeting_id=meeting_id, user_id=user_id, texts=texts, pre_score=pre_score
        )
        if not stored:
            # The meeting started between the check and the write, or they just left the case.
            raise Declined("prep.not_stored", code=case.code)
        await audit.record(
            session,
            actor=user_id,
            action="prep_saved",
            case_id=case.id,
            meeting_id=meeting_id,
        )
        return tuple(await bump_planning(session, deps, meeting_id))


async def mark_dms_answered(
    deps: Deps, client: AsyncWebClient, *, case: Case, meeting: Meeting, phase: Phase, user_id: str
) -> None:
    """After the ack: the prep DM (and nudge) become 'saved at …, review or change' — no new
    message unless neither can be updated."""
    lang = await deps.users.language(client, user_id)
    info = meeting_info(deps, case, meeting, phase)
    saved_at = utcnow()
    blocks = answered_dm(lang, info, Ref(meeting_id=meeting.id), saved_at=saved_at)
    tz = deps.settings.timezone
    text = t(
        lang,
        "prep.answered",
        code=case.code,
        saved=local_time(lang, saved_at, tz),
        when=local_time(lang, meeting.scheduled_at, tz),
    )
    async with deps.db.session() as session:
        rows = await reminders_for(session, meeting_id=row_id(meeting))
    posted = [
        r.message_ts
        for r in rows
        if r.user_id == user_id
        and r.kind in PREP_KINDS
        and r.status == ReminderStatus.SENT
        and r.message_ts
    ]
    channel = await open_dm(client, user_id)
    updated = 0
    for ts in posted:
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            updated += 1
        except SlackApiError as error:
            log.info("prep DM update failed: %s", error_code(error))
    if not updated:
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


# --- the regisseurs' read and summary ---------------------------------------------------------


async def review(
    deps: Deps, *, case: Case, meeting: Meeting, phase: Phase, lang: str
) -> list[list[dict[str, Any]]]:
    """The prep so far, for a regisseur's eyes only: answers by organisation, pre-scores as a
    distribution, their summary and (until the start) the button to write it."""
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        preps = await preps_of_meeting(session, meeting_id=meeting_id)
        status = await prep_status(session, meeting_id=meeting_id)
        distribution = await pre_score_distribution(session, meeting_id=meeting_id)
        summary = await summary_of(session, meeting_id=meeting_id)
    overview = overview_lines(
        lang,
        phase,
        preps=[PrepContent(organisation=p.organisation, texts=p.texts) for p in preps],
        missing=[],
        distribution=distribution,
    )
    planned = meeting.status == MeetingStatus.PLANNED
    return review_messages(
        lang,
        meeting_info(deps, case, meeting, phase),
        overview=overview,
        status=status,
        summary=summary.text if summary else None,
        summary_ref=Ref(meeting_id=meeting.id) if planned else None,
    )


async def stored_summary(deps: Deps, meeting: Meeting) -> str | None:
    async with deps.db.session() as session:
        summary = await summary_of(session, meeting_id=row_id(meeting))
    return summary.text if summary else None


async def write_summary(deps: Deps, *, case: Case, meeting: Meeting, text: str, by: str) -> None:
    """Store the regisseurs' summary (it replaces the one before); audited, never its text.
    Refused once the meeting started: the thread has it from then on."""
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        if not await save_summary(session, meeting_id=meeting_id, text=text, by=by):
            raise Declined("prep.summary_closed", code=case.code)
        await audit.record(
            session, actor=by, action="prep_summary_saved", case_id=case.id, meeting_id=meeting_id
        )
