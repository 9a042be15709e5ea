"""Plan, start and steer a meeting. Only regisseurs get here (Access.STEER at registration)."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

from slack_sdk.models.blocks import SectionBlock

from bot.kit.blocks import dicts, local_time, md
from bot.kit.clock import local_now
from bot.kit.forms import form_values
from bot.kit.i18n import t
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined
from bot.meetings.blocks import (
    DEFAULT_MEETING_TIME,
    MeetingView,
    end_without_decision,
    overview_message,
    parent_message,
    plan_meeting_modal,
)
from bot.meetings.overview import gather
from bot.meetings.show import show
from bot.meetings.use_cases import (
    Move,
    Stale,
    meeting_to_start,
    move_meeting,
    open_thread,
    plan_meeting,
    steer,
)
from flows import meeting as machine
from flows.errors import MoveCode, MoveError
from storage.cases import participants
from storage.meetings import invitees, next_planned
from storage.models import row_id

# In the plan form's metadata: this form moves the planned meeting it names.
MOVE = "move"


async def open_plan_form(turn: CaseTurn) -> None:
    """Plan the next meeting; when one is planned already, the form moves that one."""
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


async def plan(turn: CaseTurn) -> None:
    values = form_values(turn.view)
    when = _scheduled(turn)
    if when is None:  # validated before the ack
        raise Declined("plan_form.bad_date")
    ref = turn.ref
    if ref is not None and ref.choice == MOVE and ref.meeting_id is not None:
        await move_meeting(
            turn.deps,
            turn.client,
            case=turn.case,
            meeting_id=ref.meeting_id,
            version=ref.version,
            when=when,
            phase=values[Field.PHASE],
            invited=values[Field.INVITED],
            actor=turn.user_id,
        )
        return
    await plan_meeting(
        turn.deps,
        turn.client,
        case=turn.case,
        when=when,
        phase=values[Field.PHASE],
        invited=values[Field.INVITED],
        actor=turn.user_id,
    )


async def start(turn: CaseTurn) -> None:
    """`/casus start` or the Start button: open the meeting thread and pose the first question."""
    case, deps = turn.case, turn.deps
    ref = turn.ref if turn.ref is not None and turn.ref.meeting_id is not None else None
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
    meeting, lang = applied.meeting, deps.settings.language
    view = MeetingView(
        code=case.code,
        phase=applied.phase,
        scheduled_at=meeting.scheduled_at,
        present=applied.present,
        step=None,
    )
    parent = await turn.client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "meeting.header", code=case.code),
        blocks=parent_message(lang, view, deps.settings.timezone),
    )
    await open_thread(deps, applied, thread_ts=str(parent["ts"]))
    if meeting.planning_ts:
        started = t(lang, "meeting.started_note", code=case.code)
        await turn.client.chat_update(
            channel=case.channel_id,
            ts=meeting.planning_ts,
            text=started,
            blocks=dicts([SectionBlock(text=md(started))]),
        )
    await turn.client.chat_postMessage(
        channel=case.channel_id,
        thread_ts=meeting.thread_ts,
        text=t(lang, "overview.title"),
        blocks=overview_message(lang, await gather(deps, case, meeting)),
    )
    await show(deps, turn.client, applied)


async def _steer(turn: CaseTurn, move: Move) -> None:
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
            await turn.tell(
                turn.t("meeting.no_decision_yet"), blocks=end_without_decision(turn.lang, ref)
            )
            return
        raise Declined(f"moves.{error.code.value}") from None
    await show(turn.deps, turn.client, applied)


async def next_question(turn: CaseTurn) -> None:
    await _steer(turn, machine.next_step)


async def previous_question(turn: CaseTurn) -> None:
    await _steer(turn, machine.previous_step)


async def skip_question(turn: CaseTurn) -> None:
    await _steer(turn, machine.skip_step)


async def end(turn: CaseTurn) -> None:
    await _steer(turn, machine.end_meeting)


async def end_undecided(turn: CaseTurn) -> None:
    await _steer(turn, functools.partial(machine.end_meeting, without_decision=True))


async def decide(turn: CaseTurn) -> None:
    choice = turn.ref.choice if turn.ref else None
    if not choice:
        raise Declined("errors.forged")
    await _steer(turn, lambda catalogue, state: machine.record_decision(catalogue, state, choice))
