"""Recording agreements in the meeting thread: actions, bodemeisen, the collaboration
agreements (which may plan the next meeting) and the afsluitingsplan; and the escalation's
button for an extra meeting. Regisseurs only (Access.STEER at registration); participants
propose in the thread. Modal input comes back with field errors in the ack.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

from bot import agreement_reminders  # noqa: F401  (registers the reminder senders)
from bot import agreements as orchestration
from bot.blocks.agreements import (
    DEFAULT_NEXT_TIME,
    CollaborationForm,
    action_modal,
    bodemeis_modal,
    closure_modal,
    collaboration_modal,
)
from bot.blocks.common import local_time
from bot.blocks.forms import form_values, plan_meeting_modal
from bot.ids import Field
from bot.listeners import meetings
from bot.payloads import Ref
from bot.runtime import Turn
from flows.personal_data import scan
from storage import audit
from storage.agreements import (
    INTERVALS,
    Agreement,
    AgreementKind,
    Priority,
    add_action,
    set_single,
    single_of_meeting,
)
from storage.bodemeis_checks import add_bodemeis
from storage.cases import participant, participants
from storage.meetings import invitees, meeting_by_id, meetings_of_case
from storage.models import MeetingStatus
from storage.types import utcnow

DEFAULT_DUE_DAYS = 7


def form_text(values: dict[str, Any], field: Field) -> str:
    value = values.get(field)
    return value.strip() if isinstance(value, str) else ""


def bsn_errors(turn: Turn, values: dict[str, Any], *fields: Field) -> dict[str, str]:
    return {f: turn.t("agreements.bsn") for f in fields if scan(form_text(values, f)).bsn}


def text_errors(
    turn: Turn, values: dict[str, Any], required: Field, *optional: Field
) -> dict[str, str]:
    """Field errors for free text: a BSN anywhere is refused, and `required` must be filled."""
    errors = bsn_errors(turn, values, required, *optional)
    if not form_text(values, required):
        errors[required] = turn.t("case_form.required")
    return errors


def local_today(turn: Turn) -> date:
    return datetime.now(turn.deps.settings.timezone).date()


def _parse_date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


# ----- opening the forms (regisseurs, during the meeting) -----


async def _running(turn: Turn) -> bool:
    meeting = turn.meeting
    if meeting is None or meeting.status != MeetingStatus.RUNNING:
        await turn.tell(turn.t("agreements.not_running"))
        return False
    return True


def _form_ref(turn: Turn) -> Ref:
    return Ref(meeting_id=turn.meeting.id)


async def open_action_form(turn: Turn) -> None:
    if not await _running(turn):
        return
    due = local_today(turn) + timedelta(days=DEFAULT_DUE_DAYS)
    view = action_modal(turn.lang, ref=_form_ref(turn), code=turn.case.code, due=due)
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def open_bodemeis_form(turn: Turn) -> None:
    if not await _running(turn):
        return
    view = bodemeis_modal(turn.lang, ref=_form_ref(turn), code=turn.case.code)
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def open_collaboration_form(turn: Turn) -> None:
    if not await _running(turn):
        return
    async with turn.deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=turn.meeting.id, kind=AgreementKind.COLLABORATION
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
    view = collaboration_modal(turn.lang, ref=_form_ref(turn), form=form)
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def open_closure_form(turn: Turn) -> None:
    if not await _running(turn):
        return
    async with turn.deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=turn.meeting.id, kind=AgreementKind.CLOSURE
        )
    view = closure_modal(
        turn.lang,
        ref=_form_ref(turn),
        code=turn.case.code,
        current=current.text if current else None,
    )
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


# ----- validating and recording (field errors travel in the ack) -----


async def _is_participant(turn: Turn, user_id: str) -> bool:
    async with turn.deps.db.session() as session:
        return await participant(session, case_id=turn.case.id, user_id=user_id) is not None


async def validate_action(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors = text_errors(turn, values, Field.AGREEMENT_TEXT, Field.OWNER_ORGANISATION)
    owner = values.get(Field.OWNER_USER)
    organisation = form_text(values, Field.OWNER_ORGANISATION)
    if not owner and not organisation:
        errors[Field.OWNER_USER] = turn.t("agreements.owner_missing")
    elif owner and organisation:
        errors[Field.OWNER_ORGANISATION] = turn.t("agreements.owner_both")
    elif owner and not await _is_participant(turn, owner):
        errors[Field.OWNER_USER] = turn.t("agreements.not_participant", code=turn.case.code)
    due = _parse_date(values.get(Field.DUE_DATE))
    if due is None:
        errors[Field.DUE_DATE] = turn.t("agreements.bad_date")
    elif due < local_today(turn):
        errors[Field.DUE_DATE] = turn.t("agreements.date_in_past")
    if values.get(Field.PRIORITY) not in set(Priority):
        errors[Field.PRIORITY] = turn.t("errors.forged")
    return errors or None


async def record_action(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    due = _parse_date(values.get(Field.DUE_DATE))
    assert due is not None  # validated before the ack
    settings = turn.deps.settings
    async with turn.deps.db.session() as session:
        agreement = await add_action(
            session,
            case_id=turn.case.id,
            meeting_id=turn.meeting.id,
            text=form_text(values, Field.AGREEMENT_TEXT),
            owner_user_id=values.get(Field.OWNER_USER) or None,
            owner_organisation=form_text(values, Field.OWNER_ORGANISATION) or None,
            due_date=due,
            priority=Priority(values[Field.PRIORITY]),
            created_by=turn.user_id or "",
            hours=settings.working_hours,
            tz=settings.timezone,
        )
        await _record_audit(session, turn, agreement)
    await orchestration.refresh_message(turn.deps, turn.client, meeting_id=turn.meeting.id)


async def _record_audit(session: Any, turn: Turn, agreement: Agreement) -> None:
    await audit.record(
        session,
        actor=turn.user_id or "?",
        action="agreement_recorded",
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        detail=f"{agreement.kind} {agreement.id}",
    )


async def validate_bodemeis(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors = text_errors(turn, values, Field.AGREEMENT_TEXT)
    monitor = values.get(Field.MONITOR)
    if not monitor:
        errors[Field.MONITOR] = turn.t("case_form.required")
    elif not await _is_participant(turn, monitor):
        errors[Field.MONITOR] = turn.t("agreements.not_participant", code=turn.case.code)
    if values.get(Field.INTERVAL) not in {str(days) for days in INTERVALS}:
        errors[Field.INTERVAL] = turn.t("errors.forged")
    return errors or None


async def record_bodemeis(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    settings = turn.deps.settings
    async with turn.deps.db.session() as session:
        agreement = await add_bodemeis(
            session,
            case_id=turn.case.id,
            meeting_id=turn.meeting.id,
            text=form_text(values, Field.AGREEMENT_TEXT),
            monitor_user_id=values[Field.MONITOR],
            interval_days=int(values[Field.INTERVAL]),
            created_by=turn.user_id or "",
            now=utcnow(),
            hours=settings.working_hours,
            tz=settings.timezone,
        )
        await _record_audit(session, turn, agreement)
    await orchestration.refresh_message(turn.deps, turn.client, meeting_id=turn.meeting.id)


def _next_meeting_at(turn: Turn, values: dict[str, Any]) -> datetime | None:
    day = _parse_date(values.get(Field.NEXT_DATE))
    if day is None:
        return None
    try:
        at = time.fromisoformat(values.get(Field.NEXT_TIME) or f"{DEFAULT_NEXT_TIME:%H:%M}")
    except ValueError:
        at = DEFAULT_NEXT_TIME
    return datetime.combine(day, at, tzinfo=turn.deps.settings.timezone)


async def validate_collaboration(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    texts = (Field.TIMELINE, Field.ESCALATION_PLAN, Field.INFORMING)
    errors = bsn_errors(turn, values, *texts)
    raw_date = values.get(Field.NEXT_DATE)
    when = _next_meeting_at(turn, values)
    if raw_date and when is None:
        errors[Field.NEXT_DATE] = turn.t("agreements.bad_date")
    elif when is not None and when < datetime.now(turn.deps.settings.timezone):
        errors[Field.NEXT_DATE] = turn.t("agreements.date_in_past")
    if not any(form_text(values, f) for f in texts) and not raw_date:
        errors[Field.TIMELINE] = turn.t("agreements.collaboration_empty")
    return errors or None


async def record_collaboration(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    meeting, case = turn.meeting, turn.case
    async with turn.deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=meeting.id, kind=AgreementKind.COLLABORATION
        )
    when = _next_meeting_at(turn, values)
    next_meeting_id = None
    if when is not None and (current is None or current.next_meeting_id is None):
        next_meeting_id = await _plan_next_meeting(turn, when)
    async with turn.deps.db.session() as session:
        agreement = await set_single(
            session,
            kind=AgreementKind.COLLABORATION,
            case_id=case.id,
            meeting_id=meeting.id,
            created_by=turn.user_id or "",
            text=form_text(values, Field.TIMELINE) or None,
            escalation_plan=form_text(values, Field.ESCALATION_PLAN) or None,
            informing=form_text(values, Field.INFORMING) or None,
            next_meeting_id=next_meeting_id,
        )
        await _record_audit(session, turn, agreement)
    await orchestration.refresh_message(turn.deps, turn.client, meeting_id=meeting.id)


async def _plan_next_meeting(turn: Turn, when: datetime) -> int | None:
    """Plan the next meeting exactly as the plan modal does (bot.listeners.meetings.plan): the
    same participants, prep and meeting reminders, audit line and planning message. The form's
    answers are handed over in the shape of that modal's submission."""
    case = turn.case
    async with turn.deps.db.session() as session:
        invited = await invitees(session, meeting_id=turn.meeting.id)
        before = {m.id for m in await meetings_of_case(session, case_id=case.id)}
    local = when.astimezone(turn.deps.settings.timezone)
    state = {
        Field.DATE: {Field.DATE: {"type": "datepicker", "selected_date": local.date().isoformat()}},
        Field.TIME: {Field.TIME: {"type": "timepicker", "selected_time": f"{local:%H:%M}"}},
        Field.PHASE: {
            Field.PHASE: {"type": "static_select", "selected_option": {"value": case.phase}}
        },
        Field.INVITED: {
            Field.INVITED: {"type": "multi_users_select", "selected_users": list(invited)}
        },
    }
    view = {**turn.body["view"], "state": {"values": state}}
    await meetings.plan(dataclasses.replace(turn, body={**turn.body, "view": view}))
    async with turn.deps.db.session() as session:
        planned = [
            m
            for m in await meetings_of_case(session, case_id=turn.case.id)
            if m.id not in before and m.status == MeetingStatus.PLANNED
        ]
    return planned[-1].id if planned else None


async def validate_closure(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors = text_errors(turn, values, Field.AGREEMENT_TEXT)
    return errors or None


async def record_closure(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    async with turn.deps.db.session() as session:
        agreement = await set_single(
            session,
            kind=AgreementKind.CLOSURE,
            case_id=turn.case.id,
            meeting_id=turn.meeting.id,
            created_by=turn.user_id or "",
            text=form_text(values, Field.AGREEMENT_TEXT),
        )
        await _record_audit(session, turn, agreement)
    await orchestration.refresh_message(turn.deps, turn.client, meeting_id=turn.meeting.id)


# ----- the escalation's button: an extra meeting in directe veiligheid -----


async def open_extra_meeting_form(turn: Turn) -> None:
    case = turn.case
    async with turn.deps.db.session() as session:
        members = await participants(session, case_id=case.id)
    view = plan_meeting_modal(
        turn.lang,
        turn.deps.catalogue,
        case_ref=Ref(case_id=case.id),
        code=case.code,
        # The guideline's first phase: a broken bottom line is a worry about direct safety.
        phase=turn.deps.catalogue.phases[0].key,
        invited=[m.user_id for m in members],
        day=local_today(turn) + timedelta(days=1),
        at=meetings.DEFAULT_MEETING_TIME,
    )
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)
