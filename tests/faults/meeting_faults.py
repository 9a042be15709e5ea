"""What the meeting fault tests share: a meeting in the real bot process, and how to tell that
Slack caught up with the database, that nothing was posted twice and that nothing is stranded.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from sqlmodel import select

from flows.catalogue import load_catalogue
from flows.meeting import current_step
from storage.meetings import load_state
from storage.models import Meeting, MeetingStatus
from storage.slack_objects import backlog
from tests.e2e.conftest import CASE_CHANNEL
from tests.e2e.meeting_steps import action_ids, register_case, start_meeting, text_of
from tests.faults.conftest import BotProcess, Stage

# Short leases: a killed process's rows come back within seconds (the default is 30 s).
OUTBOX_ENV = {"CASUSBOT_OUTBOX_LEASE_SECONDS": "3", "CASUSBOT_OUTBOX_POLL_SECONDS": "0.3"}
CONVERGE_LIMIT = 90.0  # what a test waits for Slack to catch up; the figure is the measurement


async def start(stage: Stage) -> BotProcess:
    bot = await stage.start_bot(**OUTBOX_ENV)
    stage.app.request_url = f"{bot.base}/slack/events"
    return bot


async def restart(stage: Stage, dead: BotProcess) -> BotProcess:
    """After a kill -9: reap it, start a new process in its place."""
    await dead.stop()
    stage.bots.remove(dead)
    return await start(stage)


async def open_meeting(stage: Stage) -> str:
    """A registered case with its meeting started; the thread's ts."""
    h: Any = stage  # sb, app, db and settle(): what the e2e steps use
    await register_case(h)
    return await start_meeting(h)


async def converged(stage: Stage, limit: float = CONVERGE_LIMIT) -> float:
    """Wait until Slack shows everything the database wants; seconds it took."""
    started = time.monotonic()
    while True:
        async with stage.db.session() as session:
            due = (await backlog(session)).due
        if due == 0:
            await stage.settle(max_wait=limit)
            async with stage.db.session() as session:
                if (await backlog(session)).due == 0:
                    return time.monotonic() - started
        if time.monotonic() - started > limit:
            raise AssertionError(f"Slack did not catch up: {due} objects behind after {limit}s")
        await asyncio.sleep(0.1)


def thread(stage: Stage, thread_ts: str) -> list[dict[str, Any]]:
    return stage.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)


def with_buttons(stage: Stage, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in thread(stage, thread_ts) if "meeting_next" in action_ids(m)]


def duplicates(stage: Stage, thread_ts: str) -> int:
    """Messages the outbox posted more than once (the same object key twice in the thread)."""
    keys = Counter(
        (m.get("metadata") or {}).get("event_payload", {}).get("key")
        for m in [stage.sb.message(CASE_CHANNEL, thread_ts) or {}, *thread(stage, thread_ts)]
    )
    keys.pop(None, None)
    return sum(n - 1 for n in keys.values())


async def stored_meeting(stage: Stage) -> Meeting:
    async with stage.db.session() as session:
        query = select(Meeting).order_by(Meeting.id.desc())  # type: ignore[union-attr]
        meeting = (await session.exec(query)).first()
    assert meeting is not None
    return meeting


async def stranded(stage: Stage, thread_ts: str) -> bool:
    """A running meeting whose thread lacks exactly one question with buttons, for the step
    the database says it is at: nobody could move it on."""
    meeting = await stored_meeting(stage)
    if meeting.status != MeetingStatus.RUNNING:
        return False
    step = current_step(load_catalogue(), load_state(meeting))
    buttons = with_buttons(stage, thread_ts)
    if step is None or len(buttons) != 1:
        return True
    return step.text.get("nl") not in text_of(buttons[0])


def posed(stage: Stage, thread_ts: str) -> Counter[str]:
    """How often each question appears in the thread (its head and wording)."""
    seen: Counter[str] = Counter()
    for message in thread(stage, thread_ts):
        blocks = message.get("blocks") or [{}]
        first = ((blocks[0].get("text") or {}).get("text") or "").split("\n")
        if len(first) > 1 and first[0].startswith("_") and "·" in first[0]:
            seen[f"{first[0]} {first[1]}"] += 1
    return seen


def next_click(stage: Stage, thread_ts: str) -> tuple[str, dict[str, Any], str | None]:
    """What the regisseur clicks to move the meeting on: reveal an open round first, choose a
    branch at a decision question (the first, "ga door hieronder"), else Volgende. (action id,
    message, value)."""
    for message in reversed(thread(stage, thread_ts)):
        if "vote_reveal" in action_ids(message):
            return "vote_reveal", message, None
    [question] = with_buttons(stage, thread_ts)
    if "meeting_decide" in action_ids(question):
        # One button per branch, in the catalogue's order: the first goes on below.
        meeting_decision = [
            block["elements"][0]["value"]
            for block in question["blocks"]
            if str(block.get("block_id", "")).startswith("decision:")
        ]
        chosen = "✅" in text_of(question)
        if not chosen:
            return "meeting_decide", question, meeting_decision[0]
    return "meeting_next", question, None


async def click_on(stage: Stage, who: str, thread_ts: str) -> None:
    """Move the meeting on one click (see next_click); raises DeliveryError when not acked."""
    action_id, message, value = next_click(stage, thread_ts)
    await stage.sb.user(who).click(action_id, message=(CASE_CHANNEL, message["ts"]), value=value)
