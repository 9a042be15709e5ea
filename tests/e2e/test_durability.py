"""Slack is a projection of the database and catches up with it (DESIGN §2, issue 17).

The meeting's messages are outbox objects drawn from stored state: when Slack refuses or a
message disappears, the regisseur is told the truth ("vastgelegd — het bericht volgt", never
"niets gewijzigd"), the outbox posts what is missing exactly once, and `/casus herstel` or the
parent message's button redraws the running meeting.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from storage.slack_objects import backlog, objects_of_case
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    current_question,
    register_case,
    start_meeting,
    stored_case,
    stored_meeting,
    text_of,
    thread,
)

CONVERGE_SECONDS = 60.0  # what a test waits for; the outbox's backoff starts at 1 s


async def converged(h: Harness) -> None:
    """Slack shows everything the database wants (the outbox's backlog is empty)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CONVERGE_SECONDS
    while True:
        await h.settle(max_wait=CONVERGE_SECONDS)
        async with h.db.session() as session:
            if (await backlog(session)).due == 0:
                return
        if loop.time() > deadline:
            raise TimeoutError("Slack did not catch up with the database")
        await asyncio.sleep(0.2)


def with_buttons(h: Harness, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in thread(h, thread_ts) if "meeting_next" in action_ids(m)]


def private(h: Harness, who: str) -> str:
    return "\n".join(text_of(m) for m in h.sb.user(who).ephemerals(CASE_CHANNEL))


async def test_a_step_slack_refuses_is_stored_told_and_shown_once_later(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    first = current_question(h, thread_ts)
    before = await stored_meeting(h)
    assert before is not None

    # Slack is in trouble for the next post: rate limited, then unavailable.
    h.sb.faults.add("ratelimited", method="chat.postMessage", times=2, retry_after=1)
    h.sb.faults.add("http_503", method="chat.postMessage", times=2)
    await click(h, "petra", "meeting_next", first)

    after = await stored_meeting(h)
    assert after is not None and after.version > before.version  # the move is stored
    told = private(h, "petra")
    assert "Vastgelegd — Slack reageert traag, het bericht volgt." in told
    assert "niets gewijzigd" not in told

    await converged(h)
    [current] = with_buttons(h, thread_ts)  # one question with buttons: the next one
    assert current["ts"] != first["ts"]
    assert "Besproken" in text_of(h.sb.message(CASE_CHANNEL, first["ts"]) or {})
    keys = [
        (m.get("metadata") or {}).get("event_payload", {}).get("key") for m in thread(h, thread_ts)
    ]
    assert len(keys) == len(set(keys)), "a message was posted twice"
    # The meeting goes on from the question that came late.
    await click(h, "petra", "meeting_next", current)
    [newest] = with_buttons(h, thread_ts)
    assert newest["ts"] != current["ts"]


async def test_herstel_brings_back_a_deleted_question_with_its_buttons(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = current_question(h, thread_ts)
    bot = AsyncWebClient(token=h.app.bot_token, base_url=h.sb.api_url)
    await bot.chat_delete(channel=CASE_CHANNEL, ts=question["ts"])
    assert with_buttons(h, thread_ts) == []  # a thread without buttons: stranded

    # Only a regisseur may redraw.
    await h.sb.user("sanne").slash("/casus", "herstel", channel=CASE_CHANNEL)
    await h.settle()
    assert with_buttons(h, thread_ts) == []
    await h.sb.user("karim").slash("/casus", "herstel", channel=CASE_CHANNEL)
    await converged(h)
    [back] = with_buttons(h, thread_ts)
    assert text_of(back).split("\n")[1] == text_of(question).split("\n")[1]  # the same question
    await click(h, "karim", "meeting_next", back)
    [newest] = with_buttons(h, thread_ts)
    assert newest["ts"] != back["ts"]


async def test_the_parent_message_redraws_the_meeting_and_every_object_is_on_record(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    parent = h.sb.message(CASE_CHANNEL, thread_ts)
    assert parent is not None and "meeting_redraw" in action_ids(parent)
    question = current_question(h, thread_ts)
    bot = AsyncWebClient(token=h.app.bot_token, base_url=h.sb.api_url)
    await bot.chat_update(channel=CASE_CHANNEL, ts=question["ts"], text="weg", blocks=[])

    await click(h, "petra", "meeting_redraw", parent)
    await converged(h)
    assert with_buttons(h, thread_ts)[0]["ts"] == question["ts"]  # redrawn in place
    assert "opnieuw getoond" in private(h, "petra")

    # Every message the bot posted for the case is a row the purge will find.
    case = await stored_case(h)
    assert case is not None and case.id is not None
    async with h.db.session() as session:
        rows = await objects_of_case(session, case_id=case.id)
    recorded = {row.ts for row in rows if row.ts}
    posted = {m["ts"] for m in [*h.sb.messages(CASE_CHANNEL), *thread(h, thread_ts)]}
    assert posted <= recorded, posted - recorded
