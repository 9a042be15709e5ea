"""Plan, start and steer a meeting. Only regisseurs get here (Access.STEER at registration)."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.kit.blocks import local_time
from bot.kit.clock import local_now
from bot.kit.forms import form_values
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.kit.slack import permalink
from bot.meetings.attendance import check_in_self, mark_attendance
from bot.meetings.blocks import (
    DEFAULT_MEETING_TIME,
    attendance_modal,
    decision_required,
    early_start,
    end_without_decision,
    plan_meeting_modal,
)
from bot.meetings.decisions import pending_decision
from bot.meetings.objects import bump_thread
from bot.meetings.show import show_move
from bot.meetings.use_cases import (
    Move,
    Stale,
    meeting_to_start,
    move_meeting,
    newcomers_of,
    plan_meeting,
    steer,
)
from flows import meeting as machine
from flows.errors import MoveCode, MoveError
from storage.attendance import seats
from storage.cases import participants
from storage.meetings import invitees, next_planned, running_meeting
from storage.models import Attendance, Meeting, MeetingStatus, row_id

# In the plan form's metadata: this form moves the planned meeting it names.
MOVE = "move"
# On the Start button of the "start already?" question: the regisseur confirmed.
START_EARLY = "early"
# Starting more than this before the planned time asks for confirmation first.
EARLY_START = timedelta(minutes=30)


async def open_plan_form(turn: CaseTurn) -> Followup:
    """Plan the next meeting; when one is planned already, the form moves that one. Opening a
    form changes nothing: all of it happens after the ack."""
    return later(_open_plan_form, turn)


async def _open_plan_form(turn: CaseTurn) -> None:
    case, tz = turn.case, turn.deps.settings.timezone
    async with turn.deps.db.session() as session:
        members = await participants(session, case_id=turn.case_id)
        planned = await next_planned(session, case_id=turn.case_id)
        invited = await invitees(session, meeting_id=row_id(planned)) if planned else None
    if planned is not None and planned.scheduled_at is not None:
        local = planned.scheduled_at.astimezone(tz)
        day, at, phase = local.date(), local.time(), planned.phase
        ref = Ref(case_id=case.id, meeting_id=planned.id, version=planned.version, choice=MOVE)
        moving = local_time(turn.lang, planned.scheduled_at, tz)
    else:
        day = local_now(tz).date() + timedelta(days=1)
        at, phase = DEFAULT_MEETING_TIME, case.phase
        ref, moving = Ref(case_id=case.id), None
    view = plan_meeting_modal(
        turn.lang,
        turn.deps.catalogue,
        case_ref=ref,
        code=case.code,
        phase=phase,
        invited=invited or [m.user_id for m in members],
        day=day,
        at=at,
        moving=moving,
    )
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def _scheduled(turn: CaseTurn) -> datetime | None:
    values = form_values(turn.view)
    try:
        day = date.fromisoformat(values.get(Field.DATE) or "")
        at = time.fromisoformat(values.get(Field.TIME) or "")
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=turn.deps.settings.timezone)


async def validate_plan(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    when = _scheduled(turn)
    if when is None:
        return {Field.DATE: turn.t("plan_form.bad_date")}
    if when < local_now(turn.deps.settings.timezone) - timedelta(hours=12):
        return {Field.DATE: turn.t("plan_form.in_past")}
    if values.get(Field.PHASE) not in turn.deps.catalogue.phase_keys:
        return {Field.PHASE: turn.t("errors.forged")}
    if not values.get(Field.INVITED):
        return {Field.INVITED: turn.t("case_form.required")}
    return None


async def plan(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    when = _scheduled(turn)
    if when is None:  # validated before the ack
        raise Declined("plan_form.bad_date")
    ref = turn.ref
    invited = values[Field.INVITED]
    newcomers = await newcomers_of(turn.deps, turn.client, case_id=turn.case_id, invited=invited)
    if ref is not None and ref.choice == MOVE and ref.meeting_id is not None:
        planned = await move_meeting(
            turn.deps,
            case=turn.case,
            meeting_id=ref.meeting_id,
            version=ref.version,
            when=when,
            phase=values[Field.PHASE],
            invited=invited,
            newcomers=newcomers,
            actor=turn.user_id,
        )
    else:
        planned = await plan_meeting(
            turn.deps,
            case=turn.case,
            when=when,
            phase=values[Field.PHASE],
            invited=invited,
            newcomers=newcomers,
            actor=turn.user_id,
        )
    return later(turn.show, planned.rows)


async def start(turn: CaseTurn) -> Followup:
    """`/casus start` or the Start button: the meeting starts; its parent message, the Vooraf
    overview and the first question follow after the ack. One meeting of a case runs at a time
    (a second start gets a link to the running thread), and a start well before the planned
    time asks first."""
    case, deps = turn.case, turn.deps
    ref = turn.ref if turn.ref is not None and turn.ref.meeting_id is not None else None
    async with deps.db.session() as session:
        running = await running_meeting(session, case_id=turn.case_id)
        planned = (
            turn.meeting if ref is not None else await next_planned(session, case_id=turn.case_id)
        )
    if running is not None:
        return later(tell_running, turn, running)
    early = too_early(planned, deps.settings.timezone)
    if early and (ref is None or ref.choice != START_EARLY) and planned is not None:
        return later(_confirm_early, turn, planned)
    if ref is not None and ref.meeting_id is not None:
        meeting_id, version = ref.meeting_id, ref.version
    else:
        meeting_id = row_id(await meeting_to_start(deps, case=case, actor=turn.user_id))
        version = None
    try:
        applied = await steer(
            deps, meeting_id=meeting_id, version=version, move=machine.start, actor=turn.user_id
        )
    except Stale:
        raise Declined("meeting.already_started") from None
    except MoveError as error:
        raise Declined(f"moves.{error.code.value}") from None
    except IntegrityError:  # another start won the race (one running meeting per case)
        return later(_tell_running_now, turn)
    return later(show_move, turn, applied)


def too_early(meeting: Meeting | None, tz: ZoneInfo) -> bool:
    """Starting now would be well before the planned time (EARLY_START or more)."""
    if meeting is None or meeting.scheduled_at is None:
        return False
    return meeting.scheduled_at - local_now(tz) > EARLY_START


async def tell_running(turn: CaseTurn, running: Meeting) -> None:
    """Privately, with a link to the running meeting's thread."""
    link = await permalink(turn.client, running.channel_id, running.thread_ts)
    when = local_time(turn.lang, running.started_at, turn.deps.settings.timezone)
    key = "meeting.already_running_link" if link else "meeting.already_running"
    await turn.answer(turn.t(key, code=turn.case.code, when=when, link=link or ""))


async def _tell_running_now(turn: CaseTurn) -> None:
    async with turn.deps.db.session() as session:
        running = await running_meeting(session, case_id=turn.case_id)
    if running is not None:
        await tell_running(turn, running)


async def _confirm_early(turn: CaseTurn, planned: Meeting) -> None:
    when = local_time(turn.lang, planned.scheduled_at, turn.deps.settings.timezone)
    ref = Ref(meeting_id=planned.id, version=planned.version, choice=START_EARLY)
    text = turn.t("meeting.early_confirm", code=turn.case.code, when=when)
    await turn.answer(text, blocks=early_start(turn.lang, text, ref))


async def _steer(turn: CaseTurn, move: Move, *, ending: bool = False) -> Followup:
    ref = turn.ref
    if ref is None or ref.meeting_id is None:
        raise Declined("errors.forged")
    try:
        applied = await steer(
            turn.deps, meeting_id=ref.meeting_id, version=ref.version, move=move, actor=turn.user_id
        )
    except Stale:
        raise Declined("errors.stale") from None
    except MoveError as error:
        if error.code is MoveCode.DECISION_REQUIRED:
            return later(_ask_end_undecided if ending else _decide_first, turn, ref.meeting_id)
        raise Declined(f"moves.{error.code.value}") from None
    return later(show_move, turn, applied)


async def _decide_first(turn: CaseTurn, meeting_id: int) -> None:
    """Volgende before the decision at this question: privately, the decision comes first,
    with its branches at hand (never an offer to end the meeting)."""
    pending = await pending_decision(turn.deps, meeting_id=meeting_id)
    if pending is None:  # decided in the meantime
        await turn.tell(turn.t("errors.stale"))
        return
    blocks = decision_required(turn.lang, pending.step, pending.view, pending.ref)
    await turn.tell(turn.t("moves.decision_required"), blocks=blocks)


async def _ask_end_undecided(turn: CaseTurn, meeting_id: int) -> None:
    """Overleg afronden before a decision question still ahead: end anyway, without it?"""
    pending = await pending_decision(turn.deps, meeting_id=meeting_id)
    if pending is None:
        await turn.tell(turn.t("errors.stale"))
        return
    catalogue = turn.deps.catalogue
    text = turn.t(
        "meeting.no_decision_yet",
        question=pending.step.text.get(turn.lang),
        phase=catalogue.phase(pending.phase).title.get(turn.lang),
    )
    blocks = end_without_decision(
        turn.lang,
        pending.ref,
        question=pending.step.text.get(turn.lang),
        phase=catalogue.phase(pending.phase).title.get(turn.lang),
    )
    await turn.tell(text, blocks=blocks)


async def next_question(turn: CaseTurn) -> Followup:
    return await _steer(turn, machine.next_step)


async def previous_question(turn: CaseTurn) -> Followup:
    return await _steer(turn, machine.previous_step)


async def skip_question(turn: CaseTurn) -> Followup:
    return await _steer(turn, machine.skip_step)


async def end(turn: CaseTurn) -> Followup:
    return await _steer(turn, machine.end_meeting, ending=True)


async def end_undecided(turn: CaseTurn) -> Followup:
    return await _steer(turn, functools.partial(machine.end_meeting, without_decision=True))


async def to_agreements(turn: CaseTurn) -> Followup:
    """After a decision to go to another phase: straight to its Afspraken over samenwerking."""
    return await _steer(turn, machine.to_agreements)


async def decide(turn: CaseTurn) -> Followup:
    choice = turn.ref.choice if turn.ref else None
    if not choice:
        raise Declined("errors.forged")
    return await _steer(
        turn, lambda catalogue, state: machine.record_decision(catalogue, state, choice)
    )


async def redraw(turn: CaseTurn) -> Followup:
    """`/casus herstel` or the parent message's button: draw the running meeting again — every
    object of it, so Slack catches up; a message someone deleted is posted anew."""
    meeting = turn.meeting
    async with turn.deps.db.session() as session:
        if meeting is None:
            meeting = await running_meeting(session, case_id=turn.case_id)
        if meeting is None or meeting.status != MeetingStatus.RUNNING:
            raise Declined("meeting.nothing_to_redraw", code=turn.case.code)
        rows = await bump_thread(session, turn.deps, row_id(meeting))
    return later(_redrawn, turn, rows)


async def _redrawn(turn: CaseTurn, rows: list[int]) -> None:
    await turn.tell(turn.t("meeting.redrawing"))
    await turn.show(rows)


# ----- attendance (issue 15): invitees check in, the regisseurs keep the list -----

ATTENDANCE_FIELDS = {
    Field.ATTENDANCE_PRESENT: Attendance.PRESENT,
    Field.ATTENDANCE_EXCUSED: Attendance.EXCUSED,
    Field.ATTENDANCE_ABSENT: Attendance.ABSENT,
}


def _meeting_id(turn: CaseTurn) -> int:
    if turn.meeting is None:  # the guard loaded the meeting the button names
        raise Declined("errors.forged")
    return row_id(turn.meeting)


async def check_in(turn: CaseTurn) -> Followup:
    """'Ik ben aanwezig' on the parent message (every participant of the case)."""
    rows = await check_in_self(turn.deps, meeting_id=_meeting_id(turn), user_id=turn.user_id)
    return later(_checked_in, turn, rows)


async def _checked_in(turn: CaseTurn, rows: tuple[int, ...]) -> None:
    await turn.tell(turn.t("attendance.checked_in" if rows else "attendance.already_present"))
    await turn.show(rows)


async def open_attendance_form(turn: CaseTurn) -> Followup:
    meeting_id = _meeting_id(turn)

    async def open_form() -> None:
        async with turn.deps.db.session() as session:
            table = await seats(session, meeting_id=meeting_id)
        view = attendance_modal(turn.lang, Ref(meeting_id=meeting_id), table)
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


def _marks(turn: CaseTurn) -> dict[str, Attendance]:
    values = form_values(turn.view)
    marks: dict[str, Attendance] = {}
    for field, attendance in ATTENDANCE_FIELDS.items():
        for user in values.get(field) or []:
            marks[user] = attendance
    return marks


async def validate_attendance(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    seen: set[str] = set()
    for field in ATTENDANCE_FIELDS:
        chosen = set(values.get(field) or [])
        if chosen & seen:
            return {field: turn.t("attendance.twice")}
        seen |= chosen
    return None


async def save_attendance(turn: CaseTurn) -> Followup:
    meeting_id = _meeting_id(turn)
    marks = _marks(turn)
    newcomers = await newcomers_of(
        turn.deps, turn.client, case_id=turn.case_id, invited=list(marks)
    )
    rows = await mark_attendance(
        turn.deps, meeting_id=meeting_id, marks=marks, newcomers=newcomers, actor=turn.user_id
    )
    return later(turn.show, rows)
