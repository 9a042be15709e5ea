"""The view of the people involved per pseudonymous role, and whether they were informed of the
outcome, through the sandbox: recorded by a regisseur (each role optional, score and short
text), encrypted, shown in the thread, in the report and the audit log — in both languages —
and what must not happen: a BSN stored, a participant recording it, a reason left out."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel import col, select

from bot.reports.gather import gather_report
from bot.reports.markdown import render_markdown
from storage.involved import InvolvedView, OutcomeInformed
from storage.models import AuditEvent
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    click,
    hold_meeting,
    register_case,
    start_meeting,
    stored_meeting,
    text_of,
)
from tests.e2e.test_votes import last_private, results, walk_to_scale


async def _audit(h: Harness, action: str) -> list[AuditEvent]:
    async with h.db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        return list((await session.exec(query)).all())


async def test_views_are_recorded_per_role_each_optional_and_encrypted(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    voting = await walk_to_scale(h, thread_ts)
    await click(h, "karim", "vote_reveal", voting)
    karim = h.sb.user("karim")
    await click(h, "karim", "family_view_open", results(h, thread_ts))
    assert karim.modal is not None and karim.modal["callback_id"] == "family_view"
    form = json.dumps(karim.modal, ensure_ascii=False)
    assert "Slachtoffer" in form and "Pleger" in form and "Kind 2" in form

    # Nothing filled in: asked for at least one; a BSN: refused and not stored.
    ack = await karim.submit({})
    assert ack is not None and ack["response_action"] == "errors"
    ack = await karim.submit(
        {"involved_text:slachtoffer": {"involved_text:slachtoffer": "BSN 111222333 zegt: eng"}}
    )
    assert ack is not None and "BSN" in ack["errors"]["involved_text:slachtoffer"]
    ack = await karim.submit(
        {
            "involved_score:slachtoffer": {"involved_score:slachtoffer": "4"},
            "involved_text:slachtoffer": {"involved_text:slachtoffer": "Thuis nog spannend."},
            "involved_text:kind_1": {"involved_text:kind_1": "Wil bij oma logeren."},
            "involved_score:pleger": {"involved_score:pleger": "8"},
        }
    )
    assert ack is None or ack.get("response_action") != "errors", ack
    await h.settle()
    async with h.db.session() as session:
        views = (await session.exec(select(InvolvedView).order_by(col(InvolvedView.id)))).all()
        raw = (await session.exec(text("SELECT text FROM involved_view"))).all()  # type: ignore[call-overload]
    assert {(v.role, v.score, v.text) for v in views} == {
        ("slachtoffer", 4, "Thuis nog spannend."),
        ("kind_1", None, "Wil bij oma logeren."),
        ("pleger", 8, None),
    }
    assert "spannend" not in str(raw)
    posted = text_of(
        next(
            m
            for m in reversed(h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts))
            if "informed_open" in json.dumps(m)
        )
    )
    assert "Slachtoffer" in posted and "score 4" in posted and "Kind 1" in posted
    assert h.sb.mention("karim") in posted
    [line] = await _audit(h, "family_view_recorded")
    assert line.detail == "kind_1,pleger,slachtoffer"  # which roles, never what was said

    # A participant may not open the form.
    await click(h, "sanne", "family_view_open", results(h, thread_ts))
    assert "procesregisseur of casusregisseur" in last_private(h, "sanne")


async def test_informed_of_the_outcome_goes_into_the_report_and_the_audit_log(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    petra = h.sb.user("petra")
    # Before any meeting was held there is nothing to be informed of.
    await petra.slash("/casus", "geinformeerd", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is None
    assert "nog niet gehouden" in text_of(petra.ephemerals(CASE_CHANNEL)[-1])

    await hold_meeting(h, "nog_zorgen")
    await petra.slash("/casus", "geinformeerd", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is not None and petra.modal["callback_id"] == "informed"
    ack = await petra.submit({"informed_answer": {"informed_answer": "nee"}})
    assert ack is not None and "reden" in ack["errors"]["informed_reason"].lower()
    ack = await petra.submit(
        {
            "informed_answer": {"informed_answer": "nee"},
            "informed_reason": {"informed_reason": "Zwaarwegend veiligheidsbelang"},
        }
    )
    assert ack is None or ack.get("response_action") != "errors", ack
    await h.settle()
    async with h.db.session() as session:
        row = (await session.exec(select(OutcomeInformed))).one()
    assert (row.answer, row.reason) == ("nee", "Zwaarwegend veiligheidsbelang")
    [line] = await _audit(h, "outcome_informed")
    assert line.detail == "nee" and line.actor == petra.id

    # The report as `/casus verslag` draws it (its upload is covered in test_report.py).
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.id is not None
    report = await gather_report(h.bot.deps, h.bot.app.client, meeting_id=meeting.id, lang="nl")
    markdown = render_markdown("nl", report)
    assert "Betrokkenen geïnformeerd over de uitkomst:** Nee — Zwaarwegend veiligheidsbelang" in (
        markdown
    )


async def test_a_regisseur_with_english_slack_records_it_in_english(harness: Harness) -> None:
    h = harness
    h.sb.ws.users[h.sb.user("karim").id].locale = "en-US"
    await register_case(h)
    await hold_meeting(h, "nog_zorgen")
    karim = h.sb.user("karim")
    await karim.slash("/casus", "informed", channel=CASE_CHANNEL)
    await h.settle()
    assert karim.modal is not None
    form = json.dumps(karim.modal, ensure_ascii=False)
    assert "People involved informed of the outcome" in form and "Not yet" in form
    ack = await karim.submit({"informed_answer": {"informed_answer": "nog_niet"}})
    assert ack is not None and "Give a reason" in ack["errors"]["informed_reason"]
    await karim.submit(
        {
            "informed_answer": {"informed_answer": "nog_niet"},
            "informed_reason": {"informed_reason": "After the police interview"},
        }
    )
    await h.settle()
    assert "Recorded" in text_of(karim.dms()[-1])  # a modal has no channel: told in a DM
