"""A whole case meeting through the sandbox: register, start, walk, reply, decide, end."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import select

from storage.models import Contribution
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    CODE,
    action_ids,
    click,
    current_question,
    decision_value,
    end_meeting,
    move_on,
    register_case,
    start_meeting,
    stored_case,
    stored_meeting,
    tampered_click,
    text_of,
    thread,
)


async def test_register_a_case_in_this_private_channel(harness: Harness) -> None:
    assert await register_case(harness) is None
    case = await stored_case(harness)
    assert case is not None and case.phase == "directe_veiligheid"
    posted = text_of(harness.sb.messages(CASE_CHANNEL)[-1])
    assert CODE in posted and "geregistreerd" in posted
    assert "Veilig Thuis" in posted  # organisations come from the Slack profile


async def test_a_name_as_case_code_is_refused_with_a_reason(harness: Harness) -> None:
    ack = await register_case(harness, code="Jan de Vries")
    assert ack is not None and ack["response_action"] == "errors"
    assert "naam" in ack["errors"]["code"]
    assert await stored_case(harness, "JAN DE VRIES") is None


async def test_an_existing_code_is_refused(harness: Harness) -> None:
    await register_case(harness)
    ack = await register_case(harness)
    assert ack is not None and "bestaat al" in ack["errors"]["code"]


async def test_a_whole_meeting_in_directe_veiligheid(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    replies = thread(h, thread_ts)
    assert "Vooraf" in text_of(replies[0])
    first = current_question(h, thread_ts)
    assert "Beeld van het gezin" in text_of(first)
    assert "Wat is de gezinssamenstelling en thuissituatie?" in text_of(first)

    await h.sb.user("sanne").post(
        CASE_CHANNEL, "Moeder en twee kinderen, vader woont elders.", thread_ts=thread_ts
    )
    await h.settle()

    # Walk to the decision point with "volgende".
    for _ in range(30):
        question = current_question(h, thread_ts)
        if "meeting_decide" in action_ids(question):
            break
        await move_on(h, thread_ts)
    else:
        raise AssertionError("never reached the decision")
    decision = current_question(h, thread_ts)
    assert "risicogestuurde zorg" in text_of(decision).lower()
    forward = decision_value(decision, "door_naar_risicogestuurde_zorg")
    await h.sb.user("karim").click(
        "meeting_decide", message=(CASE_CHANNEL, decision["ts"]), value=forward
    )
    await h.settle()
    case = await stored_case(h)
    assert case is not None and case.phase == "risicogestuurde_zorg"

    await end_meeting(h, thread_ts)
    ended = await stored_meeting(h)
    assert ended is not None and ended.status == "ended"
    summary = "\n".join(text_of(m) for m in thread(h, thread_ts)[-3:])
    assert "Verslag casusoverleg" in summary
    assert "Moeder en twee kinderen" in summary
    assert "Risicogestuurde zorg" in summary
    parent = h.sb.message(CASE_CHANNEL, thread_ts)
    assert parent is not None and "afgerond" in text_of(parent)

    async with h.db.session() as session:
        stored = (await session.exec(select(Contribution))).all()
    assert [c.step_key for c in stored] == ["directe_veiligheid.vooraf.beeld_van_het_gezin"]


async def test_a_participant_cannot_steer(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = current_question(h, thread_ts)
    before = await stored_meeting(h)
    await click(h, "sanne", "meeting_next", question)
    after = await stored_meeting(h)
    assert before is not None and after is not None and after.state == before.state
    assert "procesregisseur of casusregisseur" in text_of(
        h.sb.user("sanne").ephemerals(CASE_CHANNEL)[-1]
    )


async def test_a_double_click_moves_one_step_and_a_stale_click_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    first = current_question(h, thread_ts)
    petra = h.sb.user("petra")
    # Two clicks on the same button before the first one's answer arrived.
    await asyncio.gather(
        petra.click("meeting_next", message=(CASE_CHANNEL, first["ts"])),
        petra.click("meeting_next", message=(CASE_CHANNEL, first["ts"])),
    )
    await h.settle()
    moved = await stored_meeting(h)
    assert moved is not None and json.loads(moved.state)["cursor"] == 1
    # And a click carrying the first question's (old) version on the current message.
    old_value = next(
        e["value"]
        for b in first["blocks"]
        if b.get("block_id") == "navigation"
        for e in b["elements"]
    )
    await tampered_click(h, "petra", "meeting_next", current_question(h, thread_ts), old_value)
    after = await stored_meeting(h)
    assert after is not None and after.state == moved.state
    assert "oudere stand" in text_of(petra.ephemerals(CASE_CHANNEL)[-1])


async def test_a_forged_value_changes_nothing(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = current_question(h, thread_ts)
    before = await stored_meeting(h)
    for forged in ['{"m": 999, "v": 0}', "not json", json.dumps({"m": "1; DROP TABLE"}), "{}"]:
        await tampered_click(h, "petra", "meeting_next", question, forged)
        answer = text_of(h.sb.user("petra").ephemerals(CASE_CHANNEL)[-1])
        assert "klopt niet" in answer or "geen open casus" in answer.lower(), forged
    after = await stored_meeting(h)
    assert before is not None and after is not None and after.state == before.state


async def test_a_reply_with_a_bsn_is_not_stored_and_its_author_is_warned(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await h.sb.user("joost").post(
        CASE_CHANNEL, "Cliënt heeft BSN 111222333, zie dossier.", thread_ts=thread_ts
    )
    await h.settle()
    async with h.db.session() as session:
        assert (await session.exec(select(Contribution))).all() == []
    warning = text_of(h.sb.user("joost").ephemerals(CASE_CHANNEL)[-1])
    assert "BSN" in warning and "niet" in warning
