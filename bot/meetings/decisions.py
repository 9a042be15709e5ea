"""A decision question as the meeting stands, for the question message and the private
"decide first" answer: the branches offered, the one chosen, where it leads."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from bot.meetings.blocks import DecisionView
from flows import meeting as machine
from flows.meeting import MeetingState
from flows.model import Catalogue
from flows.steps import Step
from storage.meetings import load_state, meeting_by_id


def decision_view(catalogue: Catalogue, state: MeetingState, step: Step) -> DecisionView | None:
    """None when `step` is no decision question."""
    if not step.is_decision:
        return None
    chosen = machine.decision_at(catalogue, state, step.key)
    target = (
        catalogue.phase(chosen.target)
        if chosen is not None and chosen.outcome.moves and chosen.target
        else None
    )
    left = [
        catalogue.phase(phase)
        for phase in state.left_phases
        if any(option.target == phase for option in step.options)
    ]
    return DecisionView(machine.options_at(catalogue, state, step), chosen, target, left)


@dataclass(frozen=True, slots=True)
class Pending:
    """The decision question a meeting waits at, drawn for the regisseur who clicked on."""

    step: Step
    view: DecisionView
    ref: Ref
    phase: str  # the phase's key: where the case stays when the meeting ends here


async def pending_decision(deps: Deps, *, meeting_id: int) -> Pending | None:
    """The decision question the meeting's current phase still waits for (None when none)."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
    if meeting is None:
        return None
    state = load_state(meeting)
    waiting = machine.undecided(deps.catalogue, state)
    if waiting is None:
        return None
    view = decision_view(deps.catalogue, state, waiting)
    if view is None:
        return None
    return Pending(waiting, view, Ref(meeting_id=meeting.id, version=meeting.version), state.phase)
