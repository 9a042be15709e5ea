"""Stored meetings from before the decisions sat at the guideline's questions, in today's terms.

Until then each phase had one invented decision step ("Uitkomst van de oordeelsvorming", key
`<phase>.oordeelsvorming.uitkomst`) placed after all Oordeelsvorming questions, and a meeting
state (format 1) held one `decision`. The migration that brings a database up to date calls
these pure functions: the old branch keys map to the question where the guideline takes that
decision, cursors after the old step move back by one, and the decision questions a meeting
had already passed count as "ga door hieronder" (it went on below them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.model import Catalogue, Outcome
from flows.steps import Step, phase_steps

OLD_POINT = "oordeelsvorming.uitkomst"

# Per phase: the old branch's name → the decision question (local key) and branch it became.
OLD_BRANCHES: dict[str, dict[str, tuple[str, str]]] = {
    "directe_veiligheid": {
        "blijven": ("oordeelsvorming.zorgen_of_risicos", "nog_zorgen"),
        "door_naar_risicogestuurde_zorg": (
            "oordeelsvorming.zorgen_of_risicos",
            "door_naar_risicogestuurde_zorg",
        ),
    },
    "risicogestuurde_zorg": {
        "blijven": ("oordeelsvorming.zorgen_of_herstel", "nog_zorgen"),
        "door_naar_herstelgerichte_zorg": (
            "oordeelsvorming.zorgen_of_herstel",
            "door_naar_herstelgerichte_zorg",
        ),
        "terug_naar_directe_veiligheid": (
            "oordeelsvorming.opnieuw_zorgen",
            "terug_naar_directe_veiligheid",
        ),
    },
    "herstelgerichte_zorg": {
        "blijven": ("oordeelsvorming.stappen", "nog_stappen"),
        "terug_naar_directe_veiligheid": (
            "oordeelsvorming.opnieuw_zorgen",
            "terug_naar_directe_veiligheid",
        ),
        "terug_naar_risicogestuurde_zorg": (
            "oordeelsvorming.opnieuw_zorgen",
            "terug_naar_risicogestuurde_zorg",
        ),
        "afsluiten": ("oordeelsvorming.stappen", "afsluiten"),
    },
}


def new_decision_key(phase: str, old: str | None) -> str | None:
    """Today's key for an old decision (its full key or its name); None when unknown."""
    if not old:
        return None
    name = old.rpartition(".")[2]
    found = OLD_BRANCHES.get(phase, {}).get(name)
    return f"{phase}.{found[0]}.{found[1]}" if found else None


def old_point_index(steps: tuple[Step, ...]) -> int:
    """Where the old decision step stood: right after the last Oordeelsvorming question."""
    judgement = [s.index for s in steps if s.section.name == "oordeelsvorming"]
    return judgement[-1] + 1 if judgement else len(steps)


def new_step_index(
    catalogue: Catalogue, phase: str, old_index: int, decision: str | None, *, cursor: bool = False
) -> int:
    """Today's step index for a step index of the old layout (with the decision step). A
    `cursor` past a decision to leave the phase waits at that decision's question."""
    steps = phase_steps(catalogue.phase(phase))
    point = old_point_index(steps)
    chosen = catalogue.option(decision) if decision else None
    at_question = next((s.index for s in steps if chosen and s.key == chosen.question_key), None)
    if old_index < point:
        index = old_index
    elif old_index == point or (cursor and chosen is not None and chosen.outcome.moves):
        # At the old step (or past it after deciding to leave): at the question the decision
        # belongs to, where Volgende follows it into the other phase.
        waiting = [s.index for s in steps if s.is_decision and s.index < point]
        fallback = waiting[-1] if waiting else point - 1  # undecided: at its last question
        index = at_question if at_question is not None else fallback
    else:
        index = old_index - 1
    return max(0, min(index, len(steps) - 1))


def upgrade_state(catalogue: Catalogue, data: Mapping[str, Any]) -> dict[str, Any]:
    """A format-1 meeting state as today's format (MeetingState.to_dict)."""
    phase = str(data["phase"])
    steps = phase_steps(catalogue.phase(phase))
    decision = new_decision_key(phase, data.get("decision"))
    chosen = catalogue.option(decision) if decision else None
    cursor = new_step_index(catalogue, phase, int(data.get("cursor") or 0), decision, cursor=True)
    # The decision questions the meeting went past went on below, as the old walk did.
    decisions = [
        next(d.key for d in step.options if d.outcome is Outcome.STAY)
        for step in steps
        if step.is_decision
        and step.index < cursor
        and (chosen is None or step.key != chosen.question_key)
    ]
    if chosen is not None:
        decisions.append(chosen.key)
    keys = {s.key for s in steps}
    scale_round = int(data.get("scale_round") or 0)
    return {
        "format": 2,
        "phase": phase,
        "status": data["status"],
        "cursor": cursor,
        "start": 0,
        "left": [],
        "skipped": [k for k in data.get("skipped") or [] if k in keys and k != steps[cursor].key],
        "scale_round": scale_round,
        "scale_open": bool(data.get("scale_open")),
        "scales": [catalogue.phase(phase).scale.key] if scale_round else [],
        "decisions": decisions,
    }
