"""Recording agreements in the meeting thread: actions, bodemeisen, the collaboration
agreements (which may plan the next meeting) and the afsluitingsplan; and the escalation's
button for an extra meeting. Regisseurs only (Access.STEER at registration); participants
propose in the thread. Modal input comes back with field errors in the ack.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.agreements.blocks import (
    DEFAULT_NEXT_TIME,
    CollaborationForm,
    action_modal,
    bodemeis_modal,
    closure_modal,
    collaboration_modal,
)
from bot.agreements.use_cases import (
    record_action,
    record_bodemeis,
    record_closure,
    record_collaboration,
)
from bot.kit.blocks import local_time
from bot.kit.clock import local_now, local_today
from bot.kit.forms import (
    bsn_errors,
    form_text,
    form_values,
    parse_date,
    required_text,
    text_errors,
)
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.meetings.blocks import DEFAULT_MEETING_TIME, plan_meeting_modal
from storage.agreements import INTERVALS, AgreementKind, Priority, single_of_meeting
from storage.cases import participant, participants
from storage.meetings import meeting_by_id
from storage.models import Meeting, MeetingStatus, row_id

DEFAULT_DUE_DAYS = 7


def _running(turn: CaseTurn) -> Meeting:
    """The running meeting the button or form belongs to; anything else changes nothing."""
    meeting = turn.meeting
    if meeting is None or meeting.status != MeetingStatus.RUNNING:
        raise Declined("agreements.not_running")
    return meeting


def _meeting_id(turn: CaseTurn) -> int:
    """The meeting a submitted form is for (the guard loaded it from the form's ref)."""
    if turn.meeting is None:
        raise Declined("errors.forged")
    return row_id(turn.meeting)


def _form_ref(meeting: Meeting) -> Ref:
    return Ref(meeting_id=meeting.id)


# ----- opening the forms (regisseurs, during the meeting) -----


async def open_action_form(turn: CaseTurn) -> Followup:
    return later(_open_action_form, turn)


async def _open_action_form(turn: CaseTurn) -> None:
    meeting = _running(turn)
    due = local_today(turn.deps.settings.timezone) + timedelta(days=DEFAULT_DUE_DAYS)
    view = action_modal(turn.lang, ref=_form_ref(meeting), code=turn.case.code, due=due)
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


async def open_bodemeis_form(turn: CaseTurn) -> Followup:
    return later(_open_bodemeis_form, turn)


async def _open_bodemeis_form(turn: CaseTurn) -> None:
    meeting = _running(turn)
    view = bodemeis_modal(
        turn.lang, ref=_form_ref(meeting), code=turn.case.code, phase=meeting.phase
    )
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


async def open_collaboration_form(turn: CaseTurn) -> Followup:
    return later(_open_collaboration_form, turn)


async def _open_collaboration_form(turn: CaseTurn) -> None:
    meeting = _running(turn)
    async with turn.deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=row_id(meeting), kind=AgreementKind.COLLABORATION
        )
        linked = (
            await meeting_by_id(session, meeting_id=current.next_meeting_id)
            if current is not None and current.next_meeting_id is not None
            else None
        )
    tz = turn.deps.settings.timezone
    form = CollaborationForm(
        code=turn.case.code,
        # The next meeting's phase: the case's phase, which the decision may just have changed.
        phase_title=turn.deps.catalogue.phase(turn.case.phase).title.get(turn.lang),
        planned=local_time(turn.lang, linked.scheduled_at, tz) if linked else None,
        timeline=current.text if current else None,
        escalation_plan=current.escalation_plan if current else None,
        informing=current.informing if current else None,
    )
    view = collaboration_modal(turn.lang, ref=_form_ref(meeting), form=form)
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


async def open_closure_form(turn: CaseTurn) -> Followup:
    return later(_open_closure_form, turn)


async def _open_closure_form(turn: CaseTurn) -> None:
    meeting = _running(turn)
    async with turn.deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=row_id(meeting), kind=AgreementKind.CLOSURE
        )
    view = closure_modal(
        turn.lang,
        ref=_form_ref(meeting),
        code=turn.case.code,
        current=current.text if current else None,
    )
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


# ----- validating and recording (field errors travel in the ack) -----


async def _is_participant(turn: CaseTurn, user_id: str) -> bool:
    async with turn.deps.db.session() as session:
        return await participant(session, case_id=turn.case_id, user_id=user_id) is not None


async def validate_action(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    errors = text_errors(turn.lang, values, Field.AGREEMENT_TEXT, Field.OWNER_ORGANISATION)
    owner = values.get(Field.OWNER_USER)
    organisation = form_text(values, Field.OWNER_ORGANISATION)
    if not owner and not organisation:
        errors[Field.OWNER_USER] = turn.t("agreements.owner_missing")
    elif owner and organisation:
        errors[Field.OWNER_ORGANISATION] = turn.t("agreements.owner_both")
    elif owner and not await _is_participant(turn, owner):
        errors[Field.OWNER_USER] = turn.t("agreements.not_participant", code=turn.case.code)
    due = parse_date(values.get(Field.DUE_DATE))
    if due is None:
        errors[Field.DUE_DATE] = turn.t("agreements.bad_date")
    elif due < local_today(turn.deps.settings.timezone):
        errors[Field.DUE_DATE] = turn.t("agreements.date_in_past")
    if values.get(Field.PRIORITY) not in set(Priority):
        errors[Field.PRIORITY] = turn.t("errors.forged")
    return errors or None


async def save_action(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    due = parse_date(values.get(Field.DUE_DATE))
    if due is None:  # validated before the ack
        raise Declined("agreements.bad_date")
    rows = await record_action(
        turn.deps,
        case_id=turn.case_id,
        meeting_id=_meeting_id(turn),
        text=form_text(values, Field.AGREEMENT_TEXT),
        owner_user_id=values.get(Field.OWNER_USER) or None,
        owner_organisation=form_text(values, Field.OWNER_ORGANISATION) or None,
        due=due,
        priority=Priority(values[Field.PRIORITY]),
        actor=turn.user_id,
    )
    return later(turn.show, rows)


async def validate_bodemeis(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    errors = text_errors(turn.lang, values, Field.AGREEMENT_TEXT)
    monitor = values.get(Field.MONITOR)
    if not monitor:
        errors[Field.MONITOR] = turn.t("case_form.required")
    elif not await _is_participant(turn, monitor):
        errors[Field.MONITOR] = turn.t("agreements.not_participant", code=turn.case.code)
    if values.get(Field.INTERVAL) not in {str(days) for days in INTERVALS}:
        errors[Field.INTERVAL] = turn.t("errors.forged")
    return errors or None


async def save_bodemeis(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    rows = await record_bodemeis(
        turn.deps,
        case_id=turn.case_id,
        meeting_id=_meeting_id(turn),
        text=form_text(values, Field.AGREEMENT_TEXT),
        monitor=values[Field.MONITOR],
        interval_days=int(values[Field.INTERVAL]),
        actor=turn.user_id,
    )
    return later(turn.show, rows)


def _next_meeting_at(turn: CaseTurn, values: dict[str, Any]) -> datetime | None:
    day = parse_date(values.get(Field.NEXT_DATE))
    if day is None:
        return None
    try:
        at = time.fromisoformat(values.get(Field.NEXT_TIME) or f"{DEFAULT_NEXT_TIME:%H:%M}")
    except ValueError:
        at = DEFAULT_NEXT_TIME
    return datetime.combine(day, at, tzinfo=turn.deps.settings.timezone)


async def validate_collaboration(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    texts = (Field.TIMELINE, Field.ESCALATION_PLAN, Field.INFORMING)
    errors = bsn_errors(turn.lang, values, *texts)
    raw_date = values.get(Field.NEXT_DATE)
    when = _next_meeting_at(turn, values)
    if raw_date and when is None:
        errors[Field.NEXT_DATE] = turn.t("agreements.bad_date")
    elif when is not None and when < local_now(turn.deps.settings.timezone):
        errors[Field.NEXT_DATE] = turn.t("agreements.date_in_past")
    if not any(form_text(values, f) for f in texts) and not raw_date:
        errors[Field.TIMELINE] = turn.t("agreements.collaboration_empty")
    return errors or None


async def save_collaboration(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    rows = await record_collaboration(
        turn.deps,
        case=turn.case,
        meeting_id=_meeting_id(turn),
        timeline=form_text(values, Field.TIMELINE) or None,
        escalation_plan=form_text(values, Field.ESCALATION_PLAN) or None,
        informing=form_text(values, Field.INFORMING) or None,
        next_meeting_at=_next_meeting_at(turn, values),
        actor=turn.user_id,
    )
    return later(turn.show, rows)


validate_closure = required_text(Field.AGREEMENT_TEXT)


async def save_closure(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    rows = await record_closure(
        turn.deps,
        case_id=turn.case_id,
        meeting_id=_meeting_id(turn),
        text=form_text(values, Field.AGREEMENT_TEXT),
        actor=turn.user_id,
    )
    return later(turn.show, rows)


# ----- the escalation's button: an extra meeting in directe veiligheid -----


async def open_extra_meeting_form(turn: CaseTurn) -> Followup:
    return later(_open_extra_meeting_form, turn)


async def _open_extra_meeting_form(turn: CaseTurn) -> None:
    case = turn.case
    async with turn.deps.db.session() as session:
        members = await participants(session, case_id=turn.case_id)
    view = plan_meeting_modal(
        turn.lang,
        turn.deps.catalogue,
        case_ref=Ref(case_id=turn.case_id),
        code=case.code,
        # The guideline's first phase: a broken bottom line is a worry about direct safety.
        phase=turn.deps.catalogue.phases[0].key,
        invited=[m.user_id for m in members],
        day=local_today(turn.deps.settings.timezone) + timedelta(days=1),
        at=DEFAULT_MEETING_TIME,
    )
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)
