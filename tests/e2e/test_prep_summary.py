"""The regisseurs' summary of the prep through the sandbox (the guideline: "De proces- en/of
casusregisseurs kunnen deze informatie vooraf bekijken en samenvatten aan het begin van de
beeldvorming"): they read the answers as they arrive — by organisation, pre-scores only as a
distribution — privately, write a summary (encrypted, audited, editable until the start), and
the Beeldvorming opens with it in the thread. A participant may do none of this."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel import select

from storage.models import AuditEvent
from storage.prep import PrepSummary
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import click, current_question, move_on, register_case, text_of
from tests.e2e.test_prep import (
    BEELD,
    STAND,
    answer,
    plan,
    planning_message,
    send_prep_dms,
    start_planned,
)


def private(h: Harness, who: str) -> str:
    return "\n".join(text_of(m) for m in h.sb.user(who).ephemerals(CASE_CHANNEL))


async def test_regisseurs_read_the_prep_as_it_arrives_and_open_the_beeldvorming_with_a_summary(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    await answer(h, "sanne", {BEELD: "Moeder en twee kinderen; oma helpt."}, score=4)
    await answer(h, "joost", {STAND: "Vader houdt zich aan het contactverbod."}, score=6)

    # The procesregisseur reads it in the channel, privately: by organisation, no names.
    petra = h.sb.user("petra")
    await petra.slash("/casus", "voorbereiding", channel=CASE_CHANNEL)
    await h.settle()
    read = private(h, "petra")
    assert "Moeder en twee kinderen" in read and "contactverbod" in read
    assert "2 van 6 beantwoord" in read
    assert h.sb.mention("sanne") not in read  # answers under the organisation, not the name
    assert "4: 1×" in read and "6: 1×" in read  # pre-scores as a distribution only
    assert "Nog geen samenvatting" in read

    # The casusregisseur finds the same under the planning message's button.
    await h.sb.user("karim").click("prep_review", message=(CASE_CHANNEL, planning_message(h)["ts"]))
    await h.settle()
    assert "contactverbod" in private(h, "karim")

    # A participant may not read the others' answers.
    await h.sb.user("sanne").click("prep_review", message=(CASE_CHANNEL, planning_message(h)["ts"]))
    await h.sb.user("sanne").slash("/casus", "voorbereiding", channel=CASE_CHANNEL)
    await h.settle()
    assert "contactverbod" not in private(h, "sanne")
    assert "procesregisseur of casusregisseur" in private(h, "sanne")

    # The summary: a BSN is refused; stored encrypted, audited; editable until the start.
    review = next(
        m for m in reversed(petra.ephemerals(CASE_CHANNEL)) if "prep_summary_open" in json.dumps(m)
    )
    await petra.click("prep_summary_open", message=(CASE_CHANNEL, review["ts"]))
    await h.settle()
    assert petra.modal is not None and petra.modal["callback_id"] == "prep_summary"
    ack = await petra.submit({"prep_summary_text": {"prep_summary_text": "BSN 111222333"}})
    assert ack is not None and "BSN" in ack["errors"]["prep_summary_text"]
    await petra.submit({"prep_summary_text": {"prep_summary_text": "Eerste versie."}})
    await h.settle()
    await petra.slash("/casus", "voorbereiding", channel=CASE_CHANNEL)
    await h.settle()
    assert "Eerste versie." in private(h, "petra")
    review = next(
        m for m in reversed(petra.ephemerals(CASE_CHANNEL)) if "prep_summary_open" in json.dumps(m)
    )
    await petra.click("prep_summary_open", message=(CASE_CHANNEL, review["ts"]))
    await h.settle()
    assert petra.modal is not None
    assert "Eerste versie." in json.dumps(petra.modal)  # the form holds what was written
    summary = "Ketenpartners zien rust thuis; oma is een kracht. Zorg: vader en school."
    await petra.submit({"prep_summary_text": {"prep_summary_text": summary}})
    await h.settle()
    async with h.db.session() as session:
        stored = (await session.exec(select(PrepSummary))).one()
        raw = (await session.exec(text("SELECT text FROM prep_summary"))).one()  # type: ignore[call-overload]
        audited = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "prep_summary_saved"))
        ).all()
    assert stored.text == summary and stored.written_by == petra.id
    assert "oma" not in raw[0]
    assert len(audited) == 2 and all(a.detail == "" for a in audited)

    # The meeting starts: the summary is fixed, and opens the Beeldvorming in the thread.
    thread_ts = await start_planned(h)
    await petra.click("prep_summary_open", message=(CASE_CHANNEL, review["ts"]))
    await h.settle()
    assert petra.modal is None or petra.modal.get("callback_id") != "prep_summary"
    assert "al begonnen" in private(h, "petra")
    for _ in range(10):
        if "beeldvorming" in json.dumps(current_question(h, thread_ts)).lower():
            break
        await move_on(h, thread_ts)
    posts = [text_of(m) for m in h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)]
    [at] = [i for i, p in enumerate(posts) if "Samenvatting van de voorbereiding" in p]
    assert summary.replace("; ", "; ") in posts[at] and h.sb.mention("petra") in posts[at]
    assert "Wat is de huidige stand van zaken" in posts[at + 1]  # the first Beeldvorming question
    # Back and forth over the Beeldvorming does not post it twice.
    await click(h, "petra", "meeting_previous", current_question(h, thread_ts))
    await move_on(h, thread_ts)
    posts = [text_of(m) for m in h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)]
    assert sum("Samenvatting van de voorbereiding" in p for p in posts) == 1


async def test_no_planned_meeting_means_nothing_to_read(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await h.sb.user("petra").slash("/casus", "voorbereiding", channel=CASE_CHANNEL)
    await h.settle()
    assert "geen overleg gepland" in private(h, "petra")


async def test_the_home_tab_lets_a_regisseur_read_the_prep(harness: Harness) -> None:
    """From the home tab there is no channel: the prep comes as a DM, only to her."""
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    await answer(h, "sanne", {BEELD: "Oma helpt elke dag."})
    petra, sanne = h.sb.user("petra"), h.sb.user("sanne")
    await sanne.open_home()
    await h.settle()
    assert "prep_review" not in json.dumps(sanne.home)  # participants have no such button
    await petra.open_home()
    await h.settle()
    await petra.click("prep_review", view="home")
    await h.settle()
    read = "\n".join(text_of(m) for m in petra.dms())
    assert "Oma helpt elke dag." in read and "Samenvatting schrijven" in json.dumps(petra.dms())
