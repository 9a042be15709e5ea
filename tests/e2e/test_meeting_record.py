"""The meeting's record tells the truth in small things (issue 15, item 7): a late reply and a
reply beside the thread are told they are not in the minutes, the parent message says when the
meeting was held, the summary names the next meeting, private answers to a click in the thread
stay in the thread, and every message's fallback text says what it shows."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Contribution
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    click,
    confirm_early_start,
    current_question,
    move_on,
    register_case,
    start_meeting,
    stored_meeting,
    text_of,
    thread,
)
from tests.e2e.test_attendance import parent, plan_next, planning_messages
from tests.e2e.test_report import _finish
from tests.e2e.test_votes import walk_to_scale


async def stored_replies(h: Harness) -> list[str]:
    async with h.db.session() as session:
        return [c.text or "" for c in (await session.exec(select(Contribution))).all()]


async def test_a_reply_after_the_meeting_and_one_beside_the_thread_are_told_so(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    sanne, ilse = h.sb.user("sanne"), h.sb.user("ilse")

    # In the channel instead of the thread: not in the minutes, with a link to the thread.
    await sanne.post(CASE_CHANNEL, "Moeder belde gisteren nog.")
    await h.settle()
    note = sanne.ephemerals(CASE_CHANNEL)[-1]
    assert "niet* in het verslag" in text_of(note) and "draad" in text_of(note)
    assert f"p{thread_ts.replace('.', '')}" in text_of(note)
    assert not note.get("thread_ts")
    assert await stored_replies(h) == []

    await _finish(h, thread_ts)
    # After the meeting: a late reply in its thread gets a note there (in English for Ilse).
    await ilse.post(CASE_CHANNEL, "Late addition from the police.", thread_ts=thread_ts)
    await h.settle()
    late = ilse.ephemerals(CASE_CHANNEL)[-1]
    assert "not* in the minutes any more" in text_of(late)
    assert "next meeting" in text_of(late)
    assert late.get("thread_ts") == thread_ts
    assert "Late addition" not in " ".join(await stored_replies(h))
    # With no meeting running, chat in the channel is just chat.
    before = len(sanne.ephemerals(CASE_CHANNEL))
    await sanne.post(CASE_CHANNEL, "Dank allemaal.")
    await h.settle()
    assert len(sanne.ephemerals(CASE_CHANNEL)) == before


async def test_the_parent_shows_when_it_was_held_and_the_summary_the_next_meeting(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan_next(h, days=3)
    await click(h, "petra", "meeting_start", planning_messages(h)[0])
    assert await confirm_early_start(h)
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts and meeting.started_at
    assert meeting.scheduled_at and meeting.scheduled_at.date() != meeting.started_at.date()
    started = meeting.started_at.astimezone(h.settings.timezone)
    shown = text_of(parent(h, meeting.thread_ts))
    assert "Gehouden op" in shown and f"{started:%H:%M}" in shown
    assert f" {started.day} " in shown  # the day it was held, not the day it was planned

    await plan_next(h, days=14)
    await _finish(h, meeting.thread_ts)
    summary = "\n".join(text_of(m) for m in thread(h, meeting.thread_ts))
    assert "het volgende overleg is gepland op" in summary
    assert "/casus overleg" not in summary


async def test_private_answers_to_a_click_in_the_thread_stay_in_the_thread(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await click(h, "sanne", "meeting_next", current_question(h, thread_ts))
    refusal = h.sb.user("sanne").ephemerals(CASE_CHANNEL)[-1]
    assert "procesregisseur of casusregisseur" in text_of(refusal)
    assert refusal.get("thread_ts") == thread_ts


async def test_fallback_texts_carry_the_question(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    first = current_question(h, thread_ts)
    question = first["text"]
    assert question and "bijgewerkt" not in question
    await move_on(h, thread_ts)
    passed = h.sb.message(CASE_CHANNEL, first["ts"]) or {}
    assert passed["text"] == f"✓ Besproken: {question}"
    now = current_question(h, thread_ts)["text"]
    assert now in parent(h, thread_ts)["text"]  # the parent names the question under discussion
    voting = await walk_to_scale(h, thread_ts)
    assert voting["text"].startswith("Schaalvraag, ronde 1: Op een schaal van 1-10")
    await _finish(h, thread_ts)
    assert "afgerond" in parent(h, thread_ts)["text"]
    assert all("bijgewerkt" not in (m.get("text") or "") for m in thread(h, thread_ts))
