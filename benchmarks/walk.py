"""Walking a meeting whatever its catalogue: read the buttons the bot posted, click on.

Nothing here knows the catalogue's steps. The current question is the newest thread message
with steering buttons; a question that offers decision buttons is decided before "Volgende"
(today the Oordeelsvorming's outcome, in a catalogue that branches at its questions the
branch), and a "Volgende" the bot refuses (a private answer instead of a next question) ends
the walk. Each click is timed from the moment it is sent to the sandbox's timestamp of the
first message it produced: the same clock, read from the sandbox's message store, never from
the bot's logs.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.meeting import WAIT_SECONDS, action_ids, newest_with, thread
from benchmarks.stage import Stage

NEXT = "meeting_next"
STEERING = frozenset({NEXT, "meeting_previous", "meeting_skip", "meeting_end"})
REVEAL = "vote_reveal"
NEW_ROUND = "vote_new_round"
# Buttons that take a decision. Today one `meeting_decide` per outcome; a catalogue that
# branches at its questions may name them otherwise, so an id with one of these words counts
# (but not "meeting_end_undecided": ending is never a decision this walk takes).
DECISION_WORDS = ("decide", "decision", "branch", "choice", "choose")
NOT_A_DECISION = "meeting_end"
POLL_SECONDS = 0.005  # the time is read from the sandbox's ts: polling only has to notice
MAX_DECISIONS_AT_ONE_POINT = 15  # changing one's mind is a decision too; spread over meetings
MAX_REVEALS_AT_ONE_SCALE = 10
MAX_CLICKS_PER_MEETING = 60  # a phase has about fifteen steps; a branching walk a few more
SCORE = re.compile(r"^vote_\d+$")


@dataclass(frozen=True)
class Button:
    action_id: str
    value: str | None
    block_id: str | None


def buttons(message: dict[str, Any]) -> list[Button]:
    found: list[Button] = []
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            elements.append(accessory)
        found += [
            Button(e["action_id"], e.get("value"), block.get("block_id"))
            for e in elements
            if e.get("type") == "button" and e.get("action_id")
        ]
    return found


def decision_buttons(message: dict[str, Any]) -> list[Button]:
    return [
        b
        for b in buttons(message)
        if not b.action_id.startswith(NOT_A_DECISION)
        and b.action_id not in STEERING
        and any(w in b.action_id for w in DECISION_WORDS)
    ]


def is_question(message: dict[str, Any]) -> bool:
    ids = set(action_ids(message))
    return bool(ids & STEERING) or bool(decision_buttons(message))


@dataclass
class Timings:
    """Milliseconds from a click to the first message it made appear in the thread."""

    step: list[float] = field(default_factory=list)  # "Volgende" -> the next question
    decision: list[float] = field(default_factory=list)  # a decision -> its first message
    reveal: list[float] = field(default_factory=list)  # "Onthullen" -> the results
    moved_on: int = 0  # decisions that posted the next question themselves (a branch)


@dataclass
class Wanted:
    steps: int = 0
    decisions: int = 0
    reveals: int = 0

    def short_of(self, timings: Timings) -> tuple[int, int, int]:
        """How many of each kind are still missing."""
        return (
            max(0, self.steps - len(timings.step)),
            max(0, self.decisions - len(timings.decision)),
            max(0, self.reveals - len(timings.reveal)),
        )

    def met_by(self, timings: Timings) -> bool:
        return not any(self.short_of(timings))


class Refused(Exception):
    """The bot answered a click privately instead of changing the thread."""


class MeetingWalk:
    """One running meeting's thread, clicked through by its procesregisseur."""

    def __init__(self, st: Stage, channel: str, thread_ts: str, *, who: str = "petra") -> None:
        self.st, self.channel, self.thread_ts, self.who = st, channel, thread_ts, who
        self._decided: set[str] = set()  # questions (by ts) decided at and left as they were
        self._options = 0  # turns through the outcomes, so walks take different branches
        self.ended_by = ""  # why the walk stopped, for a benchmark that got too few timings

    def question(self) -> dict[str, Any] | None:
        for message in reversed(thread(self.st, self.channel, self.thread_ts)):
            if is_question(message):
                return message
        return None

    async def walk(
        self, timings: Timings | None = None, wanted: Wanted | None = None, *, until: str = ""
    ) -> dict[str, Any] | None:
        """Click on until the meeting cannot go further, `wanted` is met, or (with `until`) a
        thread message has that button: it is returned. Every click is timed into `timings`."""
        timings = timings if timings is not None else Timings()
        wanted = wanted or Wanted()
        for _ in range(MAX_CLICKS_PER_MEETING):
            if until:
                found = newest_with(self.st, self.channel, self.thread_ts, until)
                if found is not None:
                    return found
            elif wanted.met_by(timings):
                return None
            await self.reveal_open_rounds(timings, wanted)
            question = self.question()
            if question is None:
                return None
            try:
                if decision_buttons(question) and question["ts"] not in self._decided:
                    await self.decide(question, timings, wanted)
                elif NEXT in action_ids(question):
                    timings.step.append(await self.timed_click(NEXT, question, shows=is_question))
                    await self.st.settle()  # the step's remaining work, so each is timed alone
                else:
                    self.ended_by = f"a question without a way on: buttons {action_ids(question)}"
                    return None
            except Refused as refusal:
                # "Volgende" at the last question, or a move this walk cannot make (a decision
                # under buttons it does not recognise): the answer says which.
                self.ended_by = (
                    f"{refusal} refused with {self._private_answer()!r};"
                    f" buttons on the question: {action_ids(question)}"
                )
                return None
        self.ended_by = f"{MAX_CLICKS_PER_MEETING} clicks"
        return None

    def _private_answer(self) -> str:
        answers = self.st.sb.user(self.who).ephemerals(self.channel)
        newest = answers[-1] if answers else (self.st.sb.response_log or [{}])[-1]
        return str(newest.get("text") or "")[:200]

    async def decide(self, question: dict[str, Any], timings: Timings, wanted: Wanted) -> None:
        """Decide at `question`; changing the decision there (another outcome each time) is
        timed as often as still wanted, as long as the question stays where it is."""
        options = decision_buttons(question)
        clicks = 1
        if len(options) > 1:
            missing = wanted.decisions - len(timings.decision)
            clicks = max(1, min(missing, MAX_DECISIONS_AT_ONE_POINT))
        for _ in range(clicks):
            option = options[self._options % len(options)]
            self._options += 1
            timings.decision.append(await self.timed_click(option.action_id, question, option))
            await self.st.settle()
            current = self.question()
            if current is None or current["ts"] != question["ts"]:
                timings.moved_on += 1  # the decision took the meeting on by itself
                return
            question = current
            options = decision_buttons(question) or options
        self._decided.add(question["ts"])

    async def reveal_open_rounds(self, timings: Timings, wanted: Wanted) -> None:
        """An open voting round holds the meeting: reveal it (timed). While more reveals are
        wanted, open new rounds at the same scale question and reveal those too."""
        for _ in range(MAX_REVEALS_AT_ONE_SCALE):
            ballot = newest_with(self.st, self.channel, self.thread_ts, REVEAL)
            if ballot is None:
                return
            await self.vote(ballot)
            timings.reveal.append(await self.timed_click(REVEAL, ballot))
            await self.st.settle()
            if len(timings.reveal) >= wanted.reveals:
                return
            results = newest_with(self.st, self.channel, self.thread_ts, NEW_ROUND)
            if results is None:
                return
            await self.st.sb.user(self.who).click(NEW_ROUND, message=(self.channel, results["ts"]))
            await self.st.settle()

    async def vote(self, ballot: dict[str, Any]) -> None:
        """One score, so the results have something to show (not timed)."""
        score = next((b for b in buttons(ballot) if SCORE.match(b.action_id)), None)
        if score is not None:
            await self.st.sb.user(self.who).click(
                score.action_id, message=(self.channel, ballot["ts"]), value=score.value
            )
            await self.st.settle()

    async def timed_click(
        self,
        action_id: str,
        message: dict[str, Any],
        button: Button | None = None,
        *,
        shows: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> float:
        """Click, then wait for the first thread message newer than the click that `shows`
        accepts: milliseconds from the click to that message's ts. A private answer instead
        raises Refused."""
        sb = self.st.sb
        private_before = len(sb.ws.ephemerals) + len(sb.response_log)
        clicked = time.time()
        await sb.user(self.who).click(
            action_id,
            message=(self.channel, message["ts"]),
            value=button.value if button else None,
            block_id=button.block_id if button else None,
        )
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            posted = self._first_after(clicked, shows)
            if posted is not None:
                return (float(posted["ts"]) - clicked) * 1000
            if len(sb.ws.ephemerals) + len(sb.response_log) > private_before:
                await self.st.settle()
                if (posted := self._first_after(clicked, shows)) is not None:
                    return (float(posted["ts"]) - clicked) * 1000
                raise Refused(action_id)
            await asyncio.sleep(POLL_SECONDS)
        raise TimeoutError(
            f"clicking {action_id} changed nothing in the thread within {WAIT_SECONDS:.0f}s"
            " (no message, no private answer: did it open a form?)"
        )

    def _first_after(
        self, clicked: float, shows: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any] | None:
        first = None
        for message in reversed(thread(self.st, self.channel, self.thread_ts)):
            if float(message["ts"]) <= clicked:
                break
            if shows(message):
                first = message
        return first
