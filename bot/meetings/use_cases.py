"""What can happen to a meeting: planned, moved, started, and moved through its questions.

Plain async functions with keyword arguments; no Bolt objects. The database is the truth: each
holds its own transaction and commits before Slack is told (bot.meetings.show turns a committed
move into messages). A move is one UPDATE guarded by the version the button was drawn at: a
click on a button from an older version is stale and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.blocks import local_time
from bot.kit.clock import local_now
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import profile_title
from bot.meetings.blocks import planning_message
from bot.prep.use_cases import reminder_plan, schedule_for
from flows import meeting as machine
from flows.errors import MoveError
from flows.events import (
    DecisionRecorded,
    Event,
    MeetingEnded,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
)
from flows.meeting import MeetingState, Status, Transition, current_step
from flows.model import Catalogue, Phase
from flows.steps import Step, StepKind, phase_steps
from storage import audit
from storage.cases import add_participants, case_by_id, close_case, participants, set_phase
from storage.meetings import (
    dump_state,
    load_state,
    meeting_by_id,
    next_planned,
    set_invitees,
    set_messages,
    update_meeting,
)
from storage.meetings import invitees as invitees_of
from storage.meetings import plan_meeting as store_meeting
from storage.models import Case, Meeting, MeetingStatus, row_id
from storage.reminders import cancel_reminders, move_meeting_reminders
from storage.types import utcnow
from storage.votes import close_round, open_round

log = logging.getLogger("casusbot")

Move = Callable[[Catalogue, MeetingState], Transition]


class Stale(Exception):
    """The button was drawn at an older version of the meeting."""


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed move and what Slack needs to show it, worked out once per move."""

    meeting: Meeting
    case: Case
    before: MeetingState
    after: MeetingState
    events: tuple[Event, ...]
    present: Sequence[str]
    phase: Phase
    steps: tuple[Step, ...]
    previous: Step | None  # the step under discussion before the move
    step: Step | None  # the step under discussion after it
    actor: str

    @property
    def meeting_id(self) -> int:
        return row_id(self.meeting)


def _applied(
    catalogue: Catalogue,
    *,
    meeting: Meeting,
    case: Case,
    before: MeetingState,
    after: MeetingState,
    events: tuple[Event, ...],
    present: Sequence[str],
    actor: str,
) -> Applied:
    return Applied(
        meeting=meeting,
        case=case,
        before=before,
        after=after,
        events=events,
        present=present,
        phase=catalogue.phase(meeting.phase),
        steps=phase_steps(catalogue.phase(meeting.phase)),
        previous=current_step(catalogue, before),
        step=current_step(catalogue, after),
        actor=actor,
    )


def step_of(catalogue: Catalogue, meeting: Meeting) -> Step | None:
    """The step the meeting is at now (None unless it runs)."""
    return current_step(catalogue, load_state(meeting))


async def apply_move(
    deps: Deps, *, meeting_id: int, version: int | None, move: Move, actor: str
) -> Applied:
    """Commit `move` if `version` is still current (None: any version); raises Stale or
    MoveError otherwise. What the move means for the case (its phase, its closing, the scale
    round's row, the audit) is written in the same transaction."""
    catalogue = deps.catalogue
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        if meeting is None or (version is not None and version != meeting.version):
            raise Stale
        before = load_state(meeting)
        transition = move(catalogue, before)
        values: dict[str, object] = {"state": dump_state(transition.state)}
        for event in transition.events:
            if isinstance(event, DecisionRecorded):
                values.update(decision=event.decision.key, decided_by=actor, decided_at=utcnow())
            if isinstance(event, MeetingEnded):
                values.update(status=MeetingStatus.ENDED, ended_at=utcnow())
        if transition.state.status is Status.RUNNING and meeting.status == MeetingStatus.PLANNED:
            values.update(status=MeetingStatus.RUNNING, started_at=utcnow())
        if not await update_meeting(
            session, meeting_id=meeting_id, expected_version=meeting.version, **values
        ):
            raise Stale
        case = await case_by_id(session, case_id=meeting.case_id)
        if case is None:  # meeting.case_id is a foreign key: only a broken database gets here
            raise LookupError(f"meeting {meeting_id} has no case")
        for event in transition.events:
            await _record(session, event, case=case, meeting_id=meeting_id, actor=actor)
        present = await invitees_of(session, meeting_id=meeting_id)
        await session.refresh(meeting)
    return _applied(
        catalogue,
        meeting=meeting,
        case=case,
        before=before,
        after=transition.state,
        events=transition.events,
        present=present,
        actor=actor,
    )


async def _record(
    session: AsyncSession, event: Event, *, case: Case, meeting_id: int, actor: str
) -> None:
    """What one event of a move changes beside the meeting's own row."""
    case_id = row_id(case)
    match event:
        case DecisionRecorded():
            await set_phase(session, case=case, phase=event.next_phase or case.phase, actor=actor)
            await audit.record(
                session,
                actor=actor,
                action="decision",
                case_id=case_id,
                meeting_id=meeting_id,
                detail=event.decision.key,
            )
        case MeetingEnded():
            if event.closed:
                await close_case(session, case=case, actor=actor)
            elif event.next_phase:
                await set_phase(session, case=case, phase=event.next_phase, actor=actor)
            await audit.record(
                session, actor=actor, action="meeting_ended", case_id=case_id, meeting_id=meeting_id
            )
        # The round's row changes with the meeting's state, in the same transaction.
        case ScaleOpened():
            await open_round(
                session,
                meeting_id=meeting_id,
                number=event.round,
                step_key=event.step.key,
                opened_by=actor,
            )
        case ScaleClosed():
            await close_round(session, meeting_id=meeting_id, number=event.round, closed_by=actor)
        case _:
            pass  # the other events change nothing beyond the meeting's state


async def steer(
    deps: Deps, *, meeting_id: int, version: int | None, move: Move, actor: str
) -> Applied:
    """A regisseur's move. One that lands on the Schaalvraag for the first time opens voting
    round 1 at once: a second committed move; if someone moved the meeting in between, it is
    simply not opened (their move is shown instead). Returning to a scale question that was
    voted on before opens nothing: the regisseur can start a new round from the thread."""
    applied = await apply_move(deps, meeting_id=meeting_id, version=version, move=move, actor=actor)
    if not reached_scale(applied) or applied.after.scale_open or applied.after.scale_round > 0:
        return applied
    try:
        opened = await apply_move(
            deps,
            meeting_id=meeting_id,
            version=applied.meeting.version,
            move=machine.open_scale,
            actor=actor,
        )
    except (Stale, MoveError):
        return applied
    return _applied(
        deps.catalogue,
        meeting=opened.meeting,
        case=opened.case,
        before=applied.before,
        after=opened.after,
        events=applied.events + opened.events,
        present=opened.present,
        actor=actor,
    )


def reached_scale(applied: Applied) -> bool:
    """The move posed the Schaalvraag (as its last question)."""
    posed = [e for e in applied.events if isinstance(e, QuestionPosed)]
    return bool(posed) and posed[-1].step.kind is StepKind.SCALE


# ----- planning -----


async def plan_meeting(
    deps: Deps,
    client: AsyncWebClient,
    *,
    case: Case,
    when: datetime,
    phase: str,
    invited: Sequence[str],
    actor: str,
) -> Meeting:
    """Plan a meeting of `case`: the invitees join the case (the regisseur decides who
    joins), their prep DM, nudge and meeting reminder are scheduled, and the planning message
    with its Start button is posted in the case channel."""
    case_id = row_id(case)
    invited = list(dict.fromkeys(invited))
    newcomers = await _newcomers(deps, client, case_id=case_id, invited=invited)
    async with deps.db.session() as session:
        await add_participants(session, case_id=case_id, members=newcomers)
        meeting = await store_meeting(
            session,
            case_id=case_id,
            phase=phase,
            scheduled_at=when,
            planned_by=actor,
            invitees=invited,
            state=dump_state(machine.new_meeting(deps.catalogue, phase)),
        )
        await schedule_for(session, deps, meeting, invited)
        await audit.record(
            session,
            actor=actor,
            action="meeting_planned",
            case_id=case_id,
            meeting_id=meeting.id,
        )
    lang = deps.settings.language
    posted = await client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "meeting.planned_short", code=case.code),
        blocks=_planning(deps, case, meeting, phase=phase, when=when, invited=invited),
    )
    async with deps.db.session() as session:
        await set_messages(
            session,
            meeting_id=row_id(meeting),
            planning_ts=str(posted["ts"]),
            channel_id=case.channel_id,
        )
    meeting.planning_ts, meeting.channel_id = str(posted["ts"]), case.channel_id
    return meeting


async def move_meeting(
    deps: Deps,
    client: AsyncWebClient,
    *,
    case: Case,
    meeting_id: int,
    version: int | None,
    when: datetime,
    phase: str,
    invited: Sequence[str],
    actor: str,
) -> Meeting:
    """Move a planned meeting: its time, phase and invitees, and with them its reminders (a
    dropped invitee's are cancelled, a new one's scheduled); the planning message follows."""
    case_id = row_id(case)
    invited = list(dict.fromkeys(invited))
    newcomers = await _newcomers(deps, client, case_id=case_id, invited=invited)
    settings = deps.settings
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        moved = (
            meeting is not None
            and meeting.case_id == case_id
            and meeting.status == MeetingStatus.PLANNED
            and await update_meeting(
                session,
                meeting_id=meeting_id,
                expected_version=version if version is not None else -1,
                scheduled_at=when,
                phase=phase,
                state=dump_state(machine.new_meeting(deps.catalogue, phase)),
            )
        )
        if not moved or meeting is None:
            raise Declined("meeting.already_started")
        await add_participants(session, case_id=case_id, members=newcomers)
        for user in await set_invitees(session, meeting_id=meeting_id, users=invited):
            await cancel_reminders(session, meeting_id=meeting_id, user_id=user)
        await move_meeting_reminders(
            session,
            meeting_id=meeting_id,
            meeting_at=when,
            now=utcnow(),
            hours=settings.working_hours,
            tz=settings.timezone,
            plan=reminder_plan(deps),
        )
        await session.refresh(meeting)
        await schedule_for(session, deps, meeting, invited)  # the newly invited
        await audit.record(
            session, actor=actor, action="meeting_moved", case_id=case_id, meeting_id=meeting_id
        )
    lang = settings.language
    text = t(lang, "meeting.moved", code=case.code, when=local_time(lang, when, settings.timezone))
    if meeting.planning_ts and meeting.channel_id:
        await client.chat_update(
            channel=meeting.channel_id,
            ts=meeting.planning_ts,
            text=text,
            blocks=_planning(deps, case, meeting, phase=phase, when=when, invited=invited),
        )
    await client.chat_postMessage(channel=case.channel_id, text=text)
    return meeting


def _planning(
    deps: Deps, case: Case, meeting: Meeting, *, phase: str, when: datetime, invited: list[str]
) -> list[dict[str, object]]:
    return planning_message(
        deps.settings.language,
        code=case.code,
        phase=deps.catalogue.phase(phase),
        when=when,
        invited=invited,
        tz=deps.settings.timezone,
        start=Ref(meeting_id=meeting.id, version=meeting.version),
    )


async def _newcomers(
    deps: Deps, client: AsyncWebClient, *, case_id: int, invited: Sequence[str]
) -> dict[str, str]:
    """The invitees who are not in the case yet, with their organisation (asked of Slack
    before any transaction opens)."""
    async with deps.db.session() as session:
        known = {m.user_id for m in await participants(session, case_id=case_id)}
    return {user: await profile_title(client, user) for user in invited if user not in known}


async def meeting_to_start(deps: Deps, *, case: Case, actor: str) -> Meeting:
    """The case's next planned meeting; `/casus start` without one plans it on the spot, in
    the case's phase, with everyone in the case invited."""
    case_id = row_id(case)
    async with deps.db.session() as session:
        planned = await next_planned(session, case_id=case_id)
        if planned is None:
            members = await participants(session, case_id=case_id)
            planned = await store_meeting(
                session,
                case_id=case_id,
                phase=case.phase,
                scheduled_at=local_now(deps.settings.timezone),
                planned_by=actor,
                invitees=[m.user_id for m in members],
                state=dump_state(machine.new_meeting(deps.catalogue, case.phase)),
            )
    return planned


async def open_thread(deps: Deps, applied: Applied, *, thread_ts: str) -> None:
    """The started meeting's parent message is its thread: remember it, and audit the start."""
    meeting, case = applied.meeting, applied.case
    async with deps.db.session() as session:
        await set_messages(
            session, meeting_id=applied.meeting_id, channel_id=case.channel_id, thread_ts=thread_ts
        )
        await audit.record(
            session,
            actor=applied.actor,
            action="meeting_started",
            case_id=row_id(case),
            meeting_id=applied.meeting_id,
        )
    meeting.channel_id, meeting.thread_ts = case.channel_id, thread_ts
