"""Plan, start and steer a meeting. Only regisseurs get here (Access.STEER at registration)."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

from bot import overview, prep
from bot.blocks.common import local_time
from bot.blocks.forms import form_values, plan_meeting_modal
from bot.blocks.meeting import (
    MeetingView,
    end_without_decision,
    overview_message,
    parent_message,
    planning_message,
)
from bot.i18n import t
from bot.ids import Field
from bot.listeners.cases import _organisation
from bot.meeting_flow import Move, Stale, apply_move, dump_state, move_refusal, show
from bot.payloads import Ref
from bot.runtime import Turn
from flows import meeting as machine
from flows.errors import MoveCode, MoveError
from storage import audit
from storage.cases import participants
from storage.meetings import (
    invitees,
    meeting_by_id,
    next_planned,
    plan_meeting,
    set_invitees,
    update_meeting,
)
from storage.models import MeetingStatus, Participant, Role
from storage.reminders import cancel_reminders, move_meeting_reminders
from storage.types import utcnow

DEFAULT_MEETING_TIME = time(10, 0)
# In the plan form's metadata: this form moves the planned meeting it names.
MOVE = "move"


async def open_plan_form(turn: Turn) -> None:
    """Plan the next meeting; when one is planned already, the form moves that one."""
    case, tz = turn.case, turn.deps.settings.timezone
    async with turn.deps.db.session() as session:
        members = await participants(session, case_id=case.id)
        planned = await next_planned(session, case_id=case.id)
        invited = await invitees(session, meeting_id=planned.id) if planned else None
    if planned is not None and planned.scheduled_at is not None:
        local = planned.scheduled_at.astimezone(tz)
        day, at, phase = local.date(), local.time(), planned.phase
        ref = Ref(case_id=case.id, meeting_id=planned.id, version=planned.version, choice=MOVE)
        moving = local_time(turn.lang, planned.scheduled_at, tz)
    else:
        day, at, phase = (
            datetime.now(tz).date() + timedelta(days=1),
            DEFAULT_MEETING_TIME,
            case.phase,
        )
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
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


def _scheduled(turn: Turn) -> datetime | None:
    values = form_values(turn.body["view"])
    try:
        day = date.fromisoformat(values.get(Field.DATE) or "")
        at = time.fromisoformat(values.get(Field.TIME) or "")
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=turn.deps.settings.timezone)


async def validate_plan(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    when = _scheduled(turn)
    if when is None:
        return {Field.DATE: turn.t("plan_form.bad_date")}
    if when < datetime.now(turn.deps.settings.timezone) - timedelta(hours=12):
        return {Field.DATE: turn.t("plan_form.in_past")}
    if values.get(Field.PHASE) not in turn.deps.catalogue.phase_keys:
        return {Field.PHASE: turn.t("errors.forged")}
    if not values.get(Field.INVITED):
        return {Field.INVITED: turn.t("case_form.required")}
    return None


async def plan(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    when = _scheduled(turn)
    assert when is not None  # validated before the ack
    case = turn.case
    invited: list[str] = list(dict.fromkeys(values[Field.INVITED]))
    async with turn.deps.db.session() as session:
        known = {m.user_id for m in await participants(session, case_id=case.id)}
    # Inviting someone makes them a participant of the case: the regisseur decides who joins.
    newcomers = {u: await _organisation(turn.client, u) for u in invited if u not in known}
    phase = values[Field.PHASE]
    if turn.ref is not None and turn.ref.choice == MOVE and turn.ref.meeting_id is not None:
        await _move(turn, when=when, phase=phase, invited=invited, newcomers=newcomers)
        return
    async with turn.deps.db.session() as session:
        for user, organisation in newcomers.items():
            session.add(
                Participant(
                    case_id=case.id, user_id=user, role=Role.DEELNEMER, organisation=organisation
                )
            )
        meeting = await plan_meeting(
            session,
            case_id=case.id,
            phase=phase,
            scheduled_at=when,
            planned_by=turn.user_id or "",
            invitees=invited,
            state=dump_state(machine.new_meeting(turn.deps.catalogue, phase)),
        )
        await prep.schedule_for(session, turn.deps, meeting, invited)
        await audit.record(
            session,
            actor=turn.user_id or "?",
            action="meeting_planned",
            case_id=case.id,
            meeting_id=meeting.id,
        )
    lang = turn.channel_lang
    posted = await turn.client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "meeting.planned_short", code=case.code),
        blocks=planning_message(
            lang,
            code=case.code,
            phase=turn.deps.catalogue.phase(phase),
            when=when,
            invited=invited,
            tz=turn.deps.settings.timezone,
            start=Ref(meeting_id=meeting.id, version=meeting.version),
        ),
    )
    async with turn.deps.db.session() as session:
        stored = await meeting_by_id(session, meeting_id=meeting.id)
        if stored is not None:
            stored.planning_ts = posted["ts"]
            stored.channel_id = case.channel_id
            session.add(stored)


async def _move(
    turn: Turn, *, when: datetime, phase: str, invited: list[str], newcomers: dict[str, str]
) -> None:
    """Move a planned meeting: its time, phase and invitees, and with them its reminders."""
    case, ref, deps = turn.case, turn.ref, turn.deps
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=ref.meeting_id)
        moved = (
            meeting is not None
            and meeting.case_id == case.id
            and meeting.status == MeetingStatus.PLANNED
            and await update_meeting(
                session,
                meeting_id=meeting.id,
                expected_version=ref.version if ref.version is not None else -1,
                scheduled_at=when,
                phase=phase,
                state=dump_state(machine.new_meeting(deps.catalogue, phase)),
            )
        )
        if moved:
            for user, organisation in newcomers.items():
                session.add(
                    Participant(
                        case_id=case.id,
                        user_id=user,
                        role=Role.DEELNEMER,
                        organisation=organisation,
                    )
                )
            dropped = await set_invitees(session, meeting_id=meeting.id, users=invited)
            for user in dropped:
                await cancel_reminders(session, meeting_id=meeting.id, user_id=user)
            await move_meeting_reminders(
                session,
                meeting_id=meeting.id,
                meeting_at=when,
                now=utcnow(),
                hours=deps.settings.working_hours,
                tz=deps.settings.timezone,
                plan=prep.reminder_plan(deps),
            )
            await session.refresh(meeting)
            await prep.schedule_for(session, deps, meeting, invited)  # the newly invited
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="meeting_moved",
                case_id=case.id,
                meeting_id=meeting.id,
            )
    if not moved:
        await turn.tell(turn.t("meeting.already_started"))
        return
    lang = turn.channel_lang
    blocks = planning_message(
        lang,
        code=case.code,
        phase=deps.catalogue.phase(phase),
        when=when,
        invited=invited,
        tz=deps.settings.timezone,
        start=Ref(meeting_id=meeting.id, version=meeting.version),
    )
    text = t(
        lang, "meeting.moved", code=case.code, when=local_time(lang, when, deps.settings.timezone)
    )
    if meeting.planning_ts and meeting.channel_id:
        await turn.client.chat_update(
            channel=meeting.channel_id, ts=meeting.planning_ts, text=text, blocks=blocks
        )
    await turn.client.chat_postMessage(channel=case.channel_id, text=text)


async def start(turn: Turn) -> None:
    """`/casus start` or the Start button: open the meeting thread and pose the first question."""
    case = turn.case
    meeting_id = turn.ref.meeting_id if turn.ref and turn.ref.meeting_id else None
    version = turn.ref.version if turn.ref and turn.ref.meeting_id else None
    if meeting_id is None:
        async with turn.deps.db.session() as session:
            planned = await next_planned(session, case_id=case.id)
            if planned is None:
                members = await participants(session, case_id=case.id)
                planned = await plan_meeting(
                    session,
                    case_id=case.id,
                    phase=case.phase,
                    scheduled_at=datetime.now(turn.deps.settings.timezone),
                    planned_by=turn.user_id or "",
                    invitees=[m.user_id for m in members],
                    state=dump_state(machine.new_meeting(turn.deps.catalogue, case.phase)),
                )
            meeting_id = planned.id
    try:
        applied = await apply_move(turn, meeting_id, version, machine.start)
    except Stale:
        await turn.tell(turn.t("meeting.already_started"))
        return
    except MoveError as error:
        await turn.tell(move_refusal(turn, error))
        return
    meeting = applied.meeting
    lang = turn.channel_lang
    view = MeetingView(
        code=case.code,
        phase=turn.deps.catalogue.phase(meeting.phase),
        scheduled_at=meeting.scheduled_at,
        present=applied.present,
        step=None,
    )
    parent = await turn.client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "meeting.header", code=case.code),
        blocks=parent_message(lang, view, turn.deps.settings.timezone),
    )
    async with turn.deps.db.session() as session:
        stored = await meeting_by_id(session, meeting_id=meeting.id)
        assert stored is not None
        stored.channel_id, stored.thread_ts = case.channel_id, parent["ts"]
        session.add(stored)
        await audit.record(
            session,
            actor=turn.user_id or "?",
            action="meeting_started",
            case_id=case.id,
            meeting_id=meeting.id,
        )
    meeting.channel_id, meeting.thread_ts = case.channel_id, parent["ts"]
    if meeting.planning_ts:
        await turn.client.chat_update(
            channel=case.channel_id,
            ts=meeting.planning_ts,
            text=t(lang, "meeting.started_note", code=case.code),
            blocks=[
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": t(lang, "meeting.started_note", code=case.code),
                    },
                }
            ],
        )
    await turn.client.chat_postMessage(
        channel=case.channel_id,
        thread_ts=parent["ts"],
        text=t(lang, "overview.title"),
        blocks=overview_message(lang, await overview.gather(turn, case, meeting)),
    )
    await show(turn, applied)


async def _steer(turn: Turn, move: Move) -> None:
    ref = turn.ref
    if ref is None or ref.meeting_id is None:
        await turn.tell(turn.t("errors.forged"))
        return
    try:
        applied = await apply_move(turn, ref.meeting_id, ref.version, move)
    except Stale:
        await turn.tell(turn.t("errors.stale"))
        return
    except MoveError as error:
        if error.code is MoveCode.DECISION_REQUIRED:
            await turn.tell(
                turn.t("meeting.no_decision_yet"), blocks=end_without_decision(turn.lang, ref)
            )
            return
        await turn.tell(move_refusal(turn, error))
        return
    await show(turn, applied)


async def next_question(turn: Turn) -> None:
    await _steer(turn, machine.next_step)


async def previous_question(turn: Turn) -> None:
    await _steer(turn, machine.previous_step)


async def skip_question(turn: Turn) -> None:
    await _steer(turn, machine.skip_step)


async def end(turn: Turn) -> None:
    await _steer(turn, machine.end_meeting)


async def end_undecided(turn: Turn) -> None:
    await _steer(turn, functools.partial(machine.end_meeting, without_decision=True))


async def decide(turn: Turn) -> None:
    choice = turn.ref.choice if turn.ref else None
    if not choice:
        await turn.tell(turn.t("errors.forged"))
        return
    await _steer(turn, lambda catalogue, state: machine.record_decision(catalogue, state, choice))
