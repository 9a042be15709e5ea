"""What can happen to a meeting: planned, moved, started, and moved through its questions.

Plain async functions with keyword arguments; no Bolt objects, no Slack calls. The database is
the truth: each holds its own transaction, and in it asks the outbox for what Slack must show
(bot.meetings.show); the caller renders those rows after the ack. A move is one UPDATE guarded by
the version the button was drawn at: a click on a button from an older version is stale and
changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.plan import want_plan
from bot.closing.rows import close_and_show, want_prompt
from bot.kit.clock import local_now
from bot.kit.runtime import Declined, Deps
from bot.meetings.applied import Applied, applied_move, reached_scale
from bot.meetings.objects import want_moved_note, want_planning
from bot.meetings.show import project
from bot.prep.use_cases import reminder_plan, schedule_for
from flows import meeting as machine
from flows.errors import MoveError
from flows.events import (
    DecisionRecorded,
    DecisionWithdrawn,
    Event,
    MeetingEnded,
    MeetingStarted,
    ScaleClosed,
    ScaleOpened,
)
from flows.meeting import MeetingState, Status, Transition, current_step
from flows.model import Catalogue
from flows.steps import Step
from storage import audit
from storage.attendance import mark
from storage.cases import add_participants, case_by_id, participants, set_phase
from storage.closing import ClosingRefused
from storage.meetings import (
    dump_state,
    load_state,
    meeting_by_id,
    next_planned,
    set_invitees,
    update_meeting,
)
from storage.meetings import invitees as invitees_of
from storage.meetings import plan_meeting as store_meeting
from storage.models import Attendance, Case, CaseStatus, Meeting, MeetingStatus, row_id
from storage.reminders import cancel_reminders, move_meeting_reminders
from storage.rhythm import after_meeting_ended
from storage.types import utcnow
from storage.votes import close_round, open_round

log = logging.getLogger("casusbot")

Move = Callable[[Catalogue, MeetingState], Transition]

# How long planning waits for Slack to name the organisations of new invitees (before the ack).
NEWCOMER_SECONDS = 1.5


class Stale(Exception):
    """The button was drawn at an older version of the meeting."""


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
        case = await case_by_id(session, case_id=meeting.case_id)
        if case is None:  # meeting.case_id is a foreign key: only a broken database gets here
            raise LookupError(f"meeting {meeting_id} has no case")
        values: dict[str, object] = {"state": dump_state(transition.state)}
        for event in transition.events:
            if isinstance(event, MeetingStarted):
                values.update(channel_id=case.channel_id)
            if isinstance(event, DecisionRecorded):
                values.update(decision=event.decision.key, decided_by=actor, decided_at=utcnow())
            if isinstance(event, DecisionWithdrawn) and "decision" not in values:
                # The meeting's columns name its latest decision that still holds.
                remaining = transition.state.decisions
                values.update(decision=remaining[-1] if remaining else None)
                if not remaining:
                    values.update(decided_by=None, decided_at=None)
            if isinstance(event, MeetingEnded):
                values.update(status=MeetingStatus.ENDED, ended_at=utcnow())
        if transition.state.status is Status.RUNNING and meeting.status == MeetingStatus.PLANNED:
            values.update(status=MeetingStatus.RUNNING, started_at=utcnow())
        if not await update_meeting(
            session, meeting_id=meeting_id, expected_version=meeting.version, **values
        ):
            raise Stale
        for event in transition.events:
            await _record(session, event, case=case, meeting_id=meeting_id, actor=actor)
        present = await invitees_of(session, meeting_id=meeting_id)
        await session.refresh(meeting)
        extra: tuple[int, ...] = ()
        closing = any(isinstance(e, MeetingEnded) and e.closed for e in transition.events)
        if closing:
            extra = await _close_safely(session, deps, case=case, meeting=meeting, actor=actor)
        if meeting.status == MeetingStatus.ENDED and case.status == CaseStatus.OPEN:
            # Nothing falls between meetings: without a next one the regisseurs hear of it.
            await after_meeting_ended(
                session,
                meeting=meeting,
                hours=deps.settings.working_hours,
                tz=deps.settings.timezone,
                working_days=deps.settings.no_next_meeting_days,
            )
        moved = applied_move(
            catalogue,
            meeting=meeting,
            case=case,
            before=before,
            after=transition.state,
            events=transition.events,
            present=present,
            actor=actor,
        )
        projected = await project(session, deps, moved)
        return replace(projected, rows=projected.rows + extra) if extra else projected


async def _close_safely(
    session: AsyncSession, deps: Deps, *, case: Case, meeting: Meeting, actor: str
) -> tuple[int, ...]:
    """The meeting decided to close the case: it closes only on an afsluitingsplan recorded in
    this meeting with nothing left open (storage.closing); else the case stays open and the
    regisseur gets the closing form's button in a DM. The rows to show."""
    meeting_id = row_id(meeting)
    try:
        _, rows = await close_and_show(session, deps, case, meeting_id=meeting_id, by=actor)
    except ClosingRefused:
        # Nothing was written before the refusal; the regisseur finishes the close.
        return (await want_prompt(session, deps, case, meeting_id=meeting_id, regisseur=actor),)
    await session.refresh(case)
    return rows


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
        case DecisionWithdrawn():
            # Vorige over a decision: the case is back where the meeting now stands.
            await set_phase(session, case=case, phase=event.next_phase or case.phase, actor=actor)
            await audit.record(
                session,
                actor=actor,
                action="decision_withdrawn",
                case_id=case_id,
                meeting_id=meeting_id,
                detail=event.decision.key,
            )
        case MeetingStarted():
            # Whoever starts the meeting is at the table; the others check in.
            await mark(session, meeting_id=meeting_id, marks={actor: Attendance.PRESENT}, by=actor)
            await audit.record(
                session,
                actor=actor,
                action="meeting_started",
                case_id=case_id,
                meeting_id=meeting_id,
            )
        case MeetingEnded():
            # A decision to close is carried out by `_close_safely` (it needs the settings).
            if event.next_phase and not event.closed:
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
    """A regisseur's move. One that lands on a Schaalvraag for the first time opens a voting
    round at once (each phase's scale gets its own): a second committed move; if someone moved
    the meeting in between, it is simply not opened (their move is shown instead). Returning to
    a scale question that was voted on before opens nothing: the regisseur can start a new round
    from the thread."""
    applied = await apply_move(deps, meeting_id=meeting_id, version=version, move=move, actor=actor)
    scale = applied.step.key if applied.step is not None else None
    if not reached_scale(applied) or applied.after.scale_open or scale in applied.after.scales:
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
    both = replace(
        opened,
        before=applied.before,
        events=applied.events + opened.events,
        previous=applied.previous,
        rows=tuple(dict.fromkeys(applied.rows + opened.rows)),
        quiet=applied.quiet + opened.quiet,
    )
    return both


# ----- planning -----


@dataclass(frozen=True, slots=True)
class Planned:
    """A committed planning (or move) and the outbox rows that show it."""

    meeting: Meeting
    rows: tuple[int, ...]


async def plan_meeting(
    deps: Deps,
    *,
    case: Case,
    when: datetime,
    phase: str,
    invited: Sequence[str],
    newcomers: Mapping[str, str],
    actor: str,
) -> Planned:
    """Plan a meeting of `case`: the invitees join the case (the regisseur decides who
    joins; `newcomers` are those not in it yet, with their organisation, asked of Slack before),
    their prep DM, nudge and meeting reminder are scheduled, and the planning message with its
    Start button is wanted in the case channel."""
    case_id = row_id(case)
    invited = list(dict.fromkeys(invited))
    async with deps.db.session() as session:
        await add_participants(session, case_id=case_id, members=dict(newcomers))
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
        rows = (
            await want_planning(session, deps, meeting, case.channel_id),
            # The veiligheidsplan names the next meeting (issue 16).
            *await want_plan(session, deps, case=case),
        )
    return Planned(meeting, rows)


async def move_meeting(
    deps: Deps,
    *,
    case: Case,
    meeting_id: int,
    version: int | None,
    when: datetime,
    phase: str,
    invited: Sequence[str],
    newcomers: Mapping[str, str],
    actor: str,
) -> Planned:
    """Move a planned meeting: its time, phase and invitees, and with them its reminders (a
    dropped invitee's are cancelled, a new one's scheduled); the planning message follows, and
    the channel is told."""
    case_id = row_id(case)
    invited = list(dict.fromkeys(invited))
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
        await add_participants(session, case_id=case_id, members=dict(newcomers))
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
        rows = (
            await want_planning(session, deps, meeting, case.channel_id),
            await want_moved_note(session, deps, meeting, case.channel_id),
        )
    return Planned(meeting, rows)


async def newcomers_of(
    deps: Deps, client: AsyncWebClient, *, case_id: int, invited: Sequence[str]
) -> dict[str, str]:
    """The invitees who are not in the case yet, with their organisation: asked of Slack
    (cached users.info) before any transaction opens, and before the ack — so within
    NEWCOMER_SECONDS; whoever Slack has not answered for by then joins without one."""
    async with deps.db.session() as session:
        known = {m.user_id for m in await participants(session, case_id=case_id)}
    new = [user for user in dict.fromkeys(invited) if user not in known]
    if not new:
        return {}
    lookups = {user: asyncio.ensure_future(deps.users.organisation(client, user)) for user in new}
    await asyncio.wait(set(lookups.values()), timeout=NEWCOMER_SECONDS)
    found: dict[str, str] = {}
    for user, lookup in lookups.items():
        if lookup.done() and not lookup.cancelled() and lookup.exception() is None:
            found[user] = lookup.result()
        else:
            lookup.cancel()
            found[user] = ""
    return found


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
