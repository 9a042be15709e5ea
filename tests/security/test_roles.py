"""Every privileged action is refused to a participant who is not a regisseur: a clear private
answer, and the database exactly as it was (DESIGN §6, one guard for every interaction)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.kit.ids import ActionId
from storage.models import AuditEvent
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import current_question, register_case, start_meeting, text_of
from tests.security.conftest import snapshot

STEERING_ACTIONS = [
    ActionId.MEETING_START,
    ActionId.MEETING_NEXT,
    ActionId.MEETING_PREVIOUS,
    ActionId.MEETING_SKIP,
    ActionId.MEETING_END,
    ActionId.MEETING_END_UNDECIDED,
    ActionId.MEETING_DECIDE,
    ActionId.VOTE_REVEAL,
    ActionId.VOTE_NEW_ROUND,
    ActionId.FAMILY_VIEW_OPEN,
    ActionId.AGREEMENT_ACTION_OPEN,
    ActionId.AGREEMENT_BODEMEIS_OPEN,
    ActionId.AGREEMENT_COLLABORATION_OPEN,
    ActionId.AGREEMENT_CLOSURE_OPEN,
    ActionId.ESCALATION_PLAN_MEETING,
]


def _without_audit(state: dict[str, Any]) -> dict[str, Any]:
    return {table: rows for table, rows in state.items() if table != "audit_event"}


async def _refusals(h: Harness) -> int:
    async with h.db.session() as session:
        events = (await session.exec(select(AuditEvent))).all()
    return sum(event.action == "refused" for event in events)


@pytest.mark.parametrize("action_id", STEERING_ACTIONS)
async def test_a_participant_cannot_use_a_regisseur_action(
    harness: Harness, action_id: ActionId
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = current_question(h, thread_ts)
    before = await snapshot(h)
    sanne = h.sb.user("sanne")
    # The button with the meeting's real reference, as if it were hers to press.
    await sanne.click(
        "meeting_next", message=(CASE_CHANNEL, question["ts"]), tamper={"action_id": action_id}
    )
    await h.settle()
    assert _without_audit(await snapshot(h)) == _without_audit(before)
    assert await _refusals(h) == 1  # the attempt itself is on record, nothing else
    assert sanne.modal is None
    answer = text_of(sanne.ephemerals(CASE_CHANNEL)[-1])
    assert "Alleen de procesregisseur of casusregisseur" in answer


@pytest.mark.parametrize("subcommand", ["overleg", "start"])
async def test_a_participant_cannot_plan_or_start(harness: Harness, subcommand: str) -> None:
    h = harness
    await register_case(h)
    before = await snapshot(h)
    joost = h.sb.user("joost")
    await joost.slash("/casus", subcommand, channel=CASE_CHANNEL)
    await h.settle()
    assert _without_audit(await snapshot(h)) == _without_audit(before)
    assert await _refusals(h) == 1  # the attempt itself is on record, nothing else
    assert joost.modal is None
    assert "Alleen de procesregisseur of casusregisseur" in text_of(
        joost.ephemerals(CASE_CHANNEL)[-1]
    )
