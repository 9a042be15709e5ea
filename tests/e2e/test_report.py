"""The meeting report lands in the thread as Markdown and PDF after the meeting, and on request."""

from __future__ import annotations

from typing import Any

import pypdfium2

from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import hold_meeting, register_case, start_meeting, text_of


def _report_files(h: Harness, thread_ts: str) -> list[tuple[str, bytes]]:
    """(name, content) of every file shared in the thread, oldest first."""
    return [
        (h.sb.file(info["id"]).name, h.sb.file(info["id"]).content or b"")
        for message in h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)
        for info in message.get("files") or []
    ]


async def test_the_report_is_uploaded_when_the_meeting_ends(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    await bram.click("confirm_confidentiality", message=bram.dms()[-1])
    thread_ts = await start_meeting(h)
    await h.sb.user("sanne").post(
        CASE_CHANNEL, "Wijkteam ziet moeder wekelijks.", thread_ts=thread_ts
    )
    await h.settle()
    await _finish(h, thread_ts)
    files = _report_files(h, thread_ts)
    markdown = next(content for name, content in files if name.endswith(".md")).decode()
    pdf = next(content for name, content in files if name.endswith(".pdf"))
    assert "# Verslag casusoverleg ZVH-2026-014" in markdown
    assert "Wijkteam ziet moeder wekelijks." in markdown
    assert "Geheimhouding bevestigd" in markdown and "Bram" in markdown
    # The decision, at the question where it was taken.
    assert "Besluit bij deze vraag:** Indien het eerste, ga door hieronder" in markdown
    page = pypdfium2.PdfDocument(pdf)[0]
    assert "ZVH-2026-014" in page.get_textpage().get_text_range()


async def _finish(h: Harness, thread_ts: str) -> None:
    from tests.e2e.meeting_steps import (
        click,
        decision_value,
        end_meeting,
        walk_to_decision,
        walk_to_end,
    )

    question = await walk_to_decision(h, thread_ts)
    value = decision_value(question, "nog_zorgen")
    await click(h, "karim", "meeting_decide", question, value=value)
    await walk_to_end(h, thread_ts)
    await end_meeting(h, thread_ts)


async def test_a_participant_can_ask_for_the_report_of_a_closed_case(harness: Harness) -> None:
    h = harness
    await register_case(h, phase="herstelgerichte_zorg")
    thread_ts = await hold_meeting(h, "afsluiten")
    before = len(_report_files(h, thread_ts))
    lotte = h.sb.user("lotte")
    await lotte.slash("/casus", "verslag", channel=CASE_CHANNEL)
    await h.settle()
    assert len(_report_files(h, thread_ts)) == before + 2
    refusals: list[Any] = [m for m in lotte.ephemerals(CASE_CHANNEL) if "afgesloten" in text_of(m)]
    assert refusals == []


async def test_no_report_before_any_meeting(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await h.sb.user("joost").slash("/casus", "verslag", channel=CASE_CHANNEL)
    await h.settle()
    assert "nog geen overleg" in text_of(h.sb.user("joost").ephemerals(CASE_CHANNEL)[-1])


async def test_the_report_holds_the_actions_and_bodemeisen_agreed(harness: Harness) -> None:
    from tests.e2e.agreement_steps import in_days, open_form, submit, walk_to
    from tests.e2e.meeting_steps import click, current_question

    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    await open_form(h, "petra", "agreement_action_open", question)
    await submit(
        h,
        "petra",
        {
            "agreement_text": "Huisbezoek door het wijkteam",
            "owner_user": "sanne",
            "due_date": in_days(10).isoformat(),
            "priority": "hoog",
        },
    )
    await open_form(h, "petra", "agreement_bodemeis_open", current_question(h, thread_ts))
    await submit(h, "petra", {"agreement_text": "Vader komt niet in de woning", "monitor": "ilse"})
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    markdown = next(
        content for name, content in _report_files(h, thread_ts) if name.endswith(".md")
    )
    text = markdown.decode()
    assert "Huisbezoek door het wijkteam — Sanne" in text
    assert "Vader komt niet in de woning — bewaakt door: Ilse" in text
