"""Prep before a meeting (issue 7): questions by DM, answers summarised for the regisseurs.

When a meeting is planned, `schedule_for` schedules, per invitee, the prep DM (some working days
before), one nudge (for whoever has not answered by then) and the meeting reminder. The DM's
button opens a modal with the Vooraf questions, the phase's first Beeldvorming question and an
optional pre-score; answers can be changed until the meeting starts. The regisseurs see who
answered in the planning message; the meeting thread's Vooraf overview shows the answers by
organisation (never by name) and the pre-scores only as a distribution.

Senders decide at send time, not at planning time, whether a reminder still makes sense: the
invitee may have left the case, answered already, or the meeting may have started.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.common import local_time
from bot.blocks.forms import form_values
from bot.blocks.meeting import planning_message
from bot.blocks.prep import (
    MeetingInfo,
    PrepContent,
    answered_dm,
    closed_dm,
    overview_lines,
    parse_pre_score,
    prep_dm,
    prep_modal,
    prep_questions,
    status_blocks,
)
from bot.i18n import t
from bot.ids import Field
from bot.payloads import Ref
from bot.reminders import (
    Obsolete,
    PermanentFailure,
    open_dm,
    reminder_metadata,
    sender,
)
from bot.runtime import Deps, Turn
from flows.model import Phase
from flows.personal_data import scan
from flows.schedule import MeetingReminderPlan, ReminderKind
from storage import audit
from storage.cases import case_by_id, participant
from storage.meetings import invitees, meeting_by_id
from storage.models import Case, CaseStatus, Meeting, MeetingStatus
from storage.prep import (
    has_prepared,
    pre_score_distribution,
    prep_of,
    prep_status,
    preps_of_meeting,
    save_prep,
)
from storage.reminders import Reminder, ReminderStatus, reminders_for, schedule_meeting_reminders
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
    assert meeting.id is not None and meeting.scheduled_at is not None
    kinds = [ReminderKind.PREP, ReminderKind.MEETING]
    if deps.settings.prep_nudge_days > 0:
        kinds.append(ReminderKind.PREP_NUDGE)
    return await schedule_meeting_reminders(
        session,
        case_id=meeting.case_id,
        meeting_id=meeting.id,
        meeting_at=meeting.scheduled_at,
        invitees=invited,
        now=now or utcnow(),
        hours=deps.settings.working_hours,
        tz=deps.settings.timezone,
        kinds=kinds,
        plan=reminder_plan(deps),
    )


# --- the DM: prep invitation and nudge --------------------------------------------------------


def _phase(deps: Deps, key: str) -> Phase:
    try:
        return deps.catalogue.phase(key)
    except KeyError:
        # A phase a region removed after the meeting was planned: nothing sensible to ask.
        raise PermanentFailure("unknown_phase") from None


def _info(deps: Deps, case: Case, meeting: Meeting, phase: Phase) -> MeetingInfo:
    return MeetingInfo(
        code=case.code, phase=phase, when=meeting.scheduled_at, tz=deps.settings.timezone
    )


async def _send(deps: Deps, client: AsyncWebClient, reminder: Reminder, *, nudge: bool) -> str:
    user_id, meeting_id = reminder.user_id, reminder.meeting_id
    if user_id is None or meeting_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
        if meeting is None or case is None:
            raise PermanentFailure("meeting_gone")
        # Checked now, not when planned: people leave cases and answer early.
        member = await participant(session, case_id=case.id or 0, user_id=user_id)
        invited = user_id in await invitees(session, meeting_id=meeting_id)
        answered = await has_prepared(session, meeting_id=meeting_id, user_id=user_id)
    # The session is closed: nothing below holds a transaction while Slack is called.
    if meeting.status != MeetingStatus.PLANNED or case.status != CaseStatus.OPEN:
        raise Obsolete("meeting_not_planned")
    if member is None or not invited:
        raise Obsolete("not_participant")
    if answered:
        raise Obsolete("answered")
    phase = _phase(deps, meeting.phase)
    lang = await deps.users.language(client, user_id)
    info = _info(deps, case, meeting, phase)
    text = t(
        lang,
        "prep.nudge" if nudge else "prep.dm",
        code=case.code,
        when=local_when(deps, lang, meeting),
        phase=phase.title.get(lang),
    )
    response = await client.chat_postMessage(
        channel=await open_dm(client, user_id),
        text=text,
        blocks=prep_dm(lang, info, Ref(meeting_id=meeting_id), nudge=nudge),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


def local_when(deps: Deps, lang: str, meeting: Meeting) -> str:
    return local_time(lang, meeting.scheduled_at, deps.settings.timezone)


@sender(ReminderKind.PREP)
async def send_prep(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    return await _send(deps, client, reminder, nudge=False)


@sender(ReminderKind.PREP_NUDGE)
async def send_nudge(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    return await _send(deps, client, reminder, nudge=True)


# --- the modal --------------------------------------------------------------------------------


async def open_form(turn: Turn) -> None:
    """The DM's button (participants): the prep modal, with what they stored before."""
    case, meeting = turn.case, turn.meeting
    if meeting is None:
        await turn.tell(turn.t("errors.forged"))
        return
    if meeting.status != MeetingStatus.PLANNED:
        await _closed(turn, case, meeting)
        return
    async with turn.deps.db.session() as session:
        invited = (turn.user_id or "") in await invitees(session, meeting_id=meeting.id)
        stored = await prep_of(session, meeting_id=meeting.id, user_id=turn.user_id or "")
    if not invited:
        await turn.tell(turn.t("prep.not_invited", code=case.code))
        return
    try:
        phase = turn.deps.catalogue.phase(meeting.phase)
    except KeyError:
        await turn.tell(turn.t("errors.forged"))
        return
    view = prep_modal(
        turn.lang,
        _info(turn.deps, case, meeting, phase),
        Ref(meeting_id=meeting.id),
        answers=stored.texts if stored else None,
        pre_score=stored.pre_score if stored else None,
    )
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def _closed(turn: Turn, case: Case, meeting: Meeting) -> None:
    """A click after the start: say so kindly, and take the button off the DM it came from."""
    await turn.tell(turn.t("prep.closed", code=case.code, channel=f"<#{case.channel_id}>"))
    container = turn.body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if not channel or not ts:
        return
    try:
        phase = turn.deps.catalogue.phase(meeting.phase)
        await turn.client.chat_update(
            channel=channel,
            ts=ts,
            text=turn.t("prep.closed_note"),
            blocks=closed_dm(turn.lang, _info(turn.deps, case, meeting, phase)),
        )
    except (KeyError, SlackApiError) as error:
        log.info("could not close prep DM for meeting %s: %s", meeting.id, type(error).__name__)


def _answers(turn: Turn, phase: Phase) -> tuple[dict[str, str], object]:
    values = form_values(turn.body["view"])
    texts = {q.key: (values.get(q.key) or "").strip() for q in prep_questions(phase)}
    return texts, values.get(Field.PREP_SCORE)


async def validate(turn: Turn) -> dict[str, str] | None:
    meeting = turn.meeting
    if meeting is None:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    try:
        phase = turn.deps.catalogue.phase(meeting.phase)
    except KeyError:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    texts, raw_score = _answers(turn, phase)
    first = next(iter(texts), Field.PREP_SCORE)
    if meeting.status != MeetingStatus.PLANNED:
        # In the ack, so the modal stays open and its text can still be copied to the thread.
        return {first: turn.t("prep.started")}
    errors = {key: turn.t("prep.bsn") for key, text in texts.items() if text and scan(text).bsn}
    if errors:
        return errors
    score = parse_pre_score(raw_score)
    if raw_score is not None and score is None:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    if score is None and not any(texts.values()):
        return {first: turn.t("prep.empty")}
    return None


async def save(turn: Turn) -> None:
    case, meeting = turn.case, turn.meeting
    phase = turn.deps.catalogue.phase(meeting.phase)  # validated before the ack
    texts, raw_score = _answers(turn, phase)
    user_id = turn.user_id or ""
    async with turn.deps.db.session() as session:
        stored = await save_prep(
            session,
            meeting_id=meeting.id,
            user_id=user_id,
            texts=texts,
            pre_score=parse_pre_score(raw_score),
        )
        if stored:
            await audit.record(
                session,
                actor=user_id or "?",
                action="prep_saved",
                case_id=case.id,
                meeting_id=meeting.id,
            )
    if not stored:
        # The meeting started between the check and the write, or they just left the case.
        await turn.tell(turn.t("prep.not_stored", code=case.code))
        return
    warnings = sorted({kind for text in texts.values() if text for kind in scan(text).warnings})
    if warnings:
        kinds = ", ".join(turn.t(f"thread.kind_{kind}") for kind in warnings)
        await turn.tell(turn.t("prep.pii_warning", kinds=kinds))
    await _mark_dms_answered(turn, case, meeting, phase)
    await refresh_planning(turn.deps, turn.client, meeting.id)


async def _mark_dms_answered(turn: Turn, case: Case, meeting: Meeting, phase: Phase) -> None:
    """Turn the prep DM (and nudge) into 'saved at …, review or change' — no new message."""
    user_id = turn.user_id or ""
    info = _info(turn.deps, case, meeting, phase)
    saved_at = datetime.now(UTC)
    blocks = answered_dm(turn.lang, info, Ref(meeting_id=meeting.id), saved_at=saved_at)
    text = turn.t(
        "prep.answered",
        code=case.code,
        saved=local_time(turn.lang, saved_at, turn.deps.settings.timezone),
        when=local_when(turn.deps, turn.lang, meeting),
    )
    async with turn.deps.db.session() as session:
        rows = await reminders_for(session, meeting_id=meeting.id)
    posted = [
        r.message_ts
        for r in rows
        if r.user_id == user_id
        and r.kind in PREP_KINDS
        and r.status == ReminderStatus.SENT
        and r.message_ts
    ]
    channel = await open_dm(turn.client, user_id)
    updated = 0
    for ts in posted:
        try:
            await turn.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            updated += 1
        except SlackApiError as error:
            log.info("prep DM update failed: %s", error.response.get("error"))
    if not updated:
        await turn.client.chat_postMessage(channel=channel, text=text, blocks=blocks)


# --- for the regisseurs -----------------------------------------------------------------------


async def refresh_planning(deps: Deps, client: AsyncWebClient, meeting_id: int) -> None:
    """Redraw the planning message with who has prepared, while the meeting is still planned."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        if meeting is None or meeting.status != MeetingStatus.PLANNED or not meeting.planning_ts:
            return  # once started, the planning message says so and must stay that way
        case = await case_by_id(session, case_id=meeting.case_id)
        invited = await invitees(session, meeting_id=meeting_id)
        status = await prep_status(session, meeting_id=meeting_id)
    if case is None:
        return
    lang = deps.settings.language
    try:
        phase = deps.catalogue.phase(meeting.phase)
    except KeyError:
        return
    blocks = planning_message(
        lang,
        code=case.code,
        phase=phase,
        when=meeting.scheduled_at,
        invited=invited,
        tz=deps.settings.timezone,
        start=Ref(meeting_id=meeting.id, version=meeting.version),
    ) + status_blocks(lang, status)
    try:
        await client.chat_update(
            channel=meeting.channel_id or case.channel_id,
            ts=meeting.planning_ts,
            text=t(lang, "meeting.planned_short", code=case.code),
            blocks=blocks,
        )
    except SlackApiError as error:
        log.warning("planning message %s not updated: %s", meeting_id, error.response.get("error"))


async def overview_prep_lines(deps: Deps, meeting: Meeting, lang: str) -> list[str]:
    """The prep part of the Vooraf overview; empty when nobody was asked to prepare (a meeting
    started on the spot) so the overview does not list everyone as 'not prepared'."""
    assert meeting.id is not None
    async with deps.db.session() as session:
        preps = await preps_of_meeting(session, meeting_id=meeting.id)
        status = await prep_status(session, meeting_id=meeting.id)
        distribution = await pre_score_distribution(session, meeting_id=meeting.id)
        asked = {
            r.user_id
            for r in await reminders_for(session, meeting_id=meeting.id)
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
