"""Steps a test takes as the demo workspace's people: register a case, start, steer, reply."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from flows import meeting as machine
from flows.meeting import current_step
from flows.model import Outcome
from sandbox import surfaces
from sandbox.elements import Found
from storage.meetings import load_state
from storage.models import Case, Meeting
from tests.e2e.conftest import CASE_CHANNEL, Harness

CODE = "ZVH-2026-014"


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                inner = element.get("text")
                parts.append(inner.get("text", "") if isinstance(inner, dict) else str(inner or ""))
    return "\n".join(parts)


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        element.get("action_id")
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    ] + [
        block["accessory"].get("action_id")
        for block in message.get("blocks") or []
        if isinstance(block.get("accessory"), dict)
    ]


async def register_case(
    h: Harness,
    *,
    code: str = CODE,
    phase: str = "directe_veiligheid",
    by: str = "petra",
    guests: tuple[str, ...] = (),
) -> dict[str, Any] | None:
    person = h.sb.user(by)
    await person.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await h.settle()
    assert person.modal is not None, "the new-case modal did not open"
    ack = await person.submit(
        {
            "code": {"code": code},
            "phase": {"phase": phase},
            "casusregisseur": {"casusregisseur": "karim"},
            "participants": {"participants": ["sanne", "joost", "ilse", "lotte"]},
            "guests": {"guests": list(guests)},
        }
    )
    await h.settle()
    return ack


async def start_meeting(h: Harness, by: str = "petra") -> str:
    """Start via /casus start; returns the thread ts."""
    await h.sb.user(by).slash("/casus", "start", channel=CASE_CHANNEL)
    await h.settle()
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts, "no meeting thread was opened"
    return meeting.thread_ts


async def confirm_early_start(h: Harness, by: str = "petra") -> bool:
    """Answer "start it now already?" (asked privately when a meeting is started well before
    its planned time) with 'Nu starten'; False when it was not asked."""
    asked = [e for e in h.sb.user(by).ephemerals(CASE_CHANNEL) if "meeting_start" in action_ids(e)]
    if not asked:
        return False
    await h.sb.user(by).click("meeting_start", channel=CASE_CHANNEL)
    await h.settle()
    return True


def thread(h: Harness, thread_ts: str) -> list[dict[str, Any]]:
    return h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)


def current_question(h: Harness, thread_ts: str) -> dict[str, Any]:
    """The newest thread message that still has the steering buttons."""
    for message in reversed(thread(h, thread_ts)):
        if "meeting_next" in action_ids(message):
            return message
    raise AssertionError("no question with buttons in the thread")


async def click(
    h: Harness,
    who: str,
    action_id: str,
    message: dict[str, Any],
    value: str | None = None,
    *,
    block_id: str | None = None,
) -> None:
    if action_id == "meeting_next" and block_id is None and value is None:
        # After a decision for another phase "Volgende" is also offered as "Verder met de
        # Beeldvorming"; the navigation row's is the one a regisseur finds in every question.
        blocks = {b.get("block_id") for b in message.get("blocks") or []}
        block_id = "navigation" if "navigation" in blocks else None
    await h.sb.user(who).click(
        action_id, message=(CASE_CHANNEL, message["ts"]), value=value, block_id=block_id
    )
    await h.settle()


def open_ballot(h: Harness, thread_ts: str) -> dict[str, Any] | None:
    """The Schaalvraag's voting message whose round is still open, if any."""
    for message in reversed(thread(h, thread_ts)):
        if "vote_reveal" in action_ids(message):
            return message
    return None


async def move_on(h: Harness, thread_ts: str, who: str = "petra") -> None:
    """'Volgende' on the current question. At the Schaalvraag the round is revealed first:
    the meeting does not move on while votes are open."""
    ballot = open_ballot(h, thread_ts)
    if ballot is not None:
        await click(h, who, "vote_reveal", ballot)
    await click(h, who, "meeting_next", current_question(h, thread_ts))


async def stored_case(h: Harness, code: str = CODE) -> Case | None:
    async with h.db.session() as session:
        return (await session.exec(select(Case).where(Case.code == code))).first()


async def stored_meeting(h: Harness) -> Meeting | None:
    async with h.db.session() as session:
        return (await session.exec(select(Meeting).order_by(Meeting.id.desc()))).first()  # type: ignore[union-attr]


async def tampered_click(
    h: Harness, who: str, action_id: str, message: dict[str, Any], value: str
) -> None:
    """Click a real button whose value was altered on the way: what a forged request carries.

    Goes through the sandbox's normal delivery (signed, like Slack), only the value differs.
    """
    person = h.sb.user(who)
    found_in = surfaces.candidates(
        h.sb, person.user, message=(CASE_CHANNEL, message["ts"]), view=None, channel=None
    )
    surface, found = surfaces.locate(found_in, action_id, block_id=None, value=None)
    forged = Found(block=found.block, element={**found.element, "value": value})
    await person._dispatch(surface, forged, None)
    await h.settle()


def decision_options(question: dict[str, Any]) -> dict[str, str]:
    """The branches a decision question offers: each branch's key → its button's value."""
    options = {}
    for block in question.get("blocks") or []:
        if str(block.get("block_id", "")).startswith("decision:"):
            value = block["elements"][0]["value"]
            options[json.loads(value)["x"]] = value
    return options


def decision_value(question: dict[str, Any], name: str) -> str:
    """The button value of the branch called `name` (or with that full key) at this question."""
    for key, value in decision_options(question).items():
        if name in (key, key.rpartition(".")[2]):
            return value
    raise AssertionError(f"no decision {name} offered")


def question_key(question: dict[str, Any]) -> str | None:
    """The catalogue key of a decision question, from its branches' keys."""
    keys = list(decision_options(question))
    return keys[0].rpartition(".")[0] if keys else None


async def decided_here(h: Harness) -> bool:
    """The current question of the newest meeting has its decision (or is none)."""
    meeting = await stored_meeting(h)
    assert meeting is not None
    state = load_state(meeting)
    step = current_step(h.bot.deps.catalogue, state)
    if step is None or not step.is_decision:
        return True
    return machine.decision_at(h.bot.deps.catalogue, state, step.key) is not None


async def go_on_below(h: Harness, thread_ts: str, who: str = "karim") -> None:
    """At a decision question: take the branch that goes on below ("ga door hieronder")."""
    question = current_question(h, thread_ts)
    catalogue = h.bot.deps.catalogue
    stay = next(
        key
        for key in decision_options(question)
        if (option := catalogue.option(key)) is not None and option.outcome is Outcome.STAY
    )
    await click(h, who, "meeting_decide", question, value=decision_value(question, stay))


async def walk_to_decision(
    h: Harness, thread_ts: str, question: str | None = None, *, offering: str | None = None
) -> dict[str, Any]:
    """Volgende until a decision question: the first one, the one whose key ends with
    `question` (e.g. 'oordeelsvorming.zorgen_of_risicos'), or the first that offers the branch
    `offering`; decision questions on the way go on below."""
    for _ in range(40):
        current = current_question(h, thread_ts)
        key = question_key(current)
        names = {k.rpartition(".")[2] for k in decision_options(current)}
        wanted = (question is None or (key or "").endswith(question)) and (
            offering is None or offering in names
        )
        if key is not None and wanted:
            return current
        if key is not None and not await decided_here(h):
            await go_on_below(h, thread_ts)
        await move_on(h, thread_ts)
    raise AssertionError("never reached the decision")


async def walk_to_end(h: Harness, thread_ts: str) -> None:
    """Volgende to the last question; every decision question on the way goes on below."""
    for _ in range(40):
        if not await decided_here(h):
            await go_on_below(h, thread_ts)
        before = current_question(h, thread_ts)["ts"]
        await move_on(h, thread_ts)
        if current_question(h, thread_ts)["ts"] == before:
            return
    raise AssertionError("never reached the last question")


async def hold_meeting(
    h: Harness,
    decision: str,
    *,
    at: str | None = None,
    onward: str = "meeting_next",
    end: bool = True,
) -> str:
    """A whole meeting that decides `decision` at the question `at` (default: the first decision
    question); after a decision for another phase it goes on with `onward` (Volgende, or
    "meeting_to_agreements"); every other decision question goes on below. Ends it."""
    thread_ts = await start_meeting(h)
    question = await walk_to_decision(h, thread_ts, at, offering=decision)
    await click(h, "karim", "meeting_decide", question, value=decision_value(question, decision))
    option = h.bot.deps.catalogue.option(json.loads(decision_value(question, decision))["x"])
    if option is not None and option.outcome.moves:
        await click(h, "petra", onward, current_question(h, thread_ts), block_id="onward")
    await walk_to_end(h, thread_ts)
    if end:
        await end_meeting(h, thread_ts)
    return thread_ts


async def end_meeting(h: Harness, thread_ts: str, who: str = "petra") -> None:
    """Overleg afronden. The report's PDF is laid out after it, which on a busy machine takes
    longer than a click: wait for it (its files are part of what the meeting shows)."""
    question = current_question(h, thread_ts)
    await h.sb.user(who).click(
        "meeting_end", message=(CASE_CHANNEL, question["ts"]), block_id="navigation"
    )
    await h.settle(max_wait=90)
