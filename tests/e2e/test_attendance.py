"""One meeting of a case at a time, and who was really at the table (issue 15, items 3 and 4):
a second start is refused with a link to the running thread, a planning message offers no
Start while a meeting runs, an early start asks first, `/casus verslag` reports the latest
ended meeting; invitees check in, the regisseurs mark and add people, only those present vote,
and the parent message and the report say who was there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.kit.clock import local_now
from storage.models import AuditEvent, Meeting, MeetingInvitee, MeetingStatus, SlackObject
from tests.e2e.agreement_steps import in_days, open_form, submit, walk_to
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    confirm_early_start,
    current_question,
    register_case,
    start_meeting,
    stored_meeting,
    text_of,
)
from tests.e2e.test_report import _finish, _report_files
from tests.e2e.test_votes import last_private, results, vote, walk_to_scale


def parent(h: Harness, thread_ts: str) -> dict[str, Any]:
    message = h.sb.message(CASE_CHANNEL, thread_ts)
    assert message is not None
    return message


def planning_messages(h: Harness) -> list[dict[str, Any]]:
    return [m for m in h.sb.messages(CASE_CHANNEL) if "Casusoverleg gepland" in text_of(m)]


async def meetings(h: Harness) -> list[Meeting]:
    async with h.db.session() as session:
        return list((await session.exec(select(Meeting).order_by(col(Meeting.id)))).all())


async def report_files_wanted(h: Harness, meeting_id: int | None) -> int:
    """The report files asked for in a meeting's thread (rendering a PDF on a loaded machine
    can lag behind; what counts here is which meeting was reported)."""
    async with h.db.session() as session:
        rows = (
            await session.exec(
                select(SlackObject).where(
                    col(SlackObject.key).startswith(f"meeting:{meeting_id}:report:")
                )
            )
        ).all()
    return len(rows)


async def plan_next(h: Harness, *, days: int = 14) -> None:
    petra = h.sb.user("petra")
    await petra.slash("/casus", "overleg", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is not None
    day = (local_now(h.settings.timezone) + timedelta(days=days)).date()
    ack = await petra.submit(
        {
            "date": {"date": day.isoformat()},
            "time": {"time": "10:00"},
            "phase": {"phase": "directe_veiligheid"},
        }
    )
    assert ack is None, ack
    await h.settle()


# ----- one meeting at a time -----


async def test_a_second_start_is_refused_with_a_link_to_the_running_thread(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await h.sb.user("karim").slash("/casus", "start", channel=CASE_CHANNEL)
    await h.settle()
    told = text_of(h.sb.user("karim").ephemerals(CASE_CHANNEL)[-1])
    assert "Er loopt al een casusoverleg voor ZVH-2026-014" in told
    assert f"p{thread_ts.replace('.', '')}" in told  # the link to the running thread
    [only] = await meetings(h)
    assert only.status == MeetingStatus.RUNNING and only.thread_ts == thread_ts


async def test_a_planning_message_shows_no_start_while_a_meeting_of_the_case_runs(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await plan_next(h)
    [planning] = planning_messages(h)
    assert "meeting_start" not in action_ids(planning)
    assert "zodra dat is afgerond" in text_of(planning)

    # The old planning message's button would start a parallel meeting: refused, with the link.
    _, planned = await meetings(h)
    await _finish(h, thread_ts)
    planning = h.sb.message(CASE_CHANNEL, planning["ts"]) or {}
    assert "meeting_start" in action_ids(planning)  # the running meeting ended: Start is back
    assert "alleen regisseurs" in text_of(planning).lower()
    assert planned.status == MeetingStatus.PLANNED


async def test_the_next_date_under_afspraken_offers_no_start_during_the_meeting(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "afspraken")
    assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
    ack = await submit(
        h,
        "petra",
        {
            "escalation_plan": "Direct de procesregisseur bellen",
            "informing": "Wekelijks een mail",
            "next_date": in_days(21).isoformat(),
            "next_time": "14:00",
        },
    )
    assert ack is None
    [planning] = planning_messages(h)
    assert "meeting_start" not in action_ids(planning)
    # /casus start during the meeting does not start the planned one either.
    await h.sb.user("petra").slash("/casus", "start", channel=CASE_CHANNEL)
    await h.settle()
    assert "Er loopt al een casusoverleg" in last_private(h, "petra")
    statuses = [m.status for m in await meetings(h)]
    assert statuses == [MeetingStatus.RUNNING, MeetingStatus.PLANNED]


async def test_starting_well_before_the_planned_time_asks_first(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await plan_next(h, days=3)
    [planning] = planning_messages(h)
    await click(h, "petra", "meeting_start", planning)
    assert "Wil je het nu al starten?" in last_private(h, "petra")
    [planned] = await meetings(h)
    assert planned.status == MeetingStatus.PLANNED  # nothing started yet
    assert await confirm_early_start(h)
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.status == MeetingStatus.RUNNING and meeting.thread_ts


async def test_verslag_reports_the_latest_ended_meeting_and_says_when_one_runs(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    first = await start_meeting(h)
    await h.sb.user("sanne").slash("/casus", "verslag", channel=CASE_CHANNEL)
    await h.settle()
    assert "loopt nog" in last_private(h, "sanne") and "geen eerder" in last_private(h, "sanne")
    await _finish(h, first)
    first_id, *_ = [m.id for m in await meetings(h)]
    after_end = await report_files_wanted(h, first_id)

    second = await start_meeting(h)
    assert second != first
    await h.sb.user("sanne").slash("/casus", "verslag", channel=CASE_CHANNEL)
    await h.settle()
    assert "laatst afgeronde overleg" in last_private(h, "sanne")
    # The report of the ended meeting (a new pair of files in its thread); none of the running.
    second_id = (await meetings(h))[-1].id
    assert await report_files_wanted(h, first_id) == after_end + 2
    assert await report_files_wanted(h, second_id) == 0


# ----- attendance -----


async def test_attendance_is_what_people_checked_in_as(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)  # Petra starts: she is present
    shown = text_of(parent(h, thread_ts))
    assert f"Aanwezig (1):* {h.sb.mention('petra')}" in shown
    assert "Nog niet aangemeld" in shown and h.sb.mention("sanne") in shown
    assert "Gehouden op" in shown
    assert "Nog niemand van: " in shown and "GGZ Centraal" in shown

    # Sanne checks in with one button; a second click changes nothing.
    await click(h, "sanne", "attendance_check_in", parent(h, thread_ts))
    assert "aangemeld als aanwezig" in last_private(h, "sanne")
    await click(h, "sanne", "attendance_check_in", parent(h, thread_ts))
    assert "al als aanwezig" in last_private(h, "sanne")

    # Only regisseurs keep the list: Karim marks Joost afgemeld, Ilse absent, and adds Bram
    # (not invited) who joined the table.
    await click(h, "lotte", "attendance_open", parent(h, thread_ts))
    assert h.sb.user("lotte").modal is None
    await click(h, "karim", "attendance_open", parent(h, thread_ts))
    karim = h.sb.user("karim")
    assert karim.modal is not None
    ack = await karim.submit(
        {
            "attendance_present": {"attendance_present": ["U0PETRA", "U0SANNE", "U0JOOST"]},
            "attendance_excused": {"attendance_excused": ["U0JOOST"]},
        }
    )
    assert ack is not None and "twee lijsten" in ack["errors"]["attendance_excused"]
    ack = await karim.submit(
        {
            "attendance_present": {"attendance_present": ["U0PETRA", "U0SANNE", "U0KARIM"]},
            "attendance_excused": {"attendance_excused": ["U0JOOST"]},
            "attendance_absent": {"attendance_absent": ["U0ILSE"]},
        }
    )
    assert ack is None
    await h.settle()
    shown = text_of(parent(h, thread_ts))
    assert "Aanwezig (3)" in shown
    assert f"*Afgemeld:* {h.sb.mention('joost')}" in shown
    assert f"*Afwezig:* {h.sb.mention('ilse')}" in shown
    assert "Reclassering" in shown and "Politie" in shown  # organisations not at the table

    # Only those present vote: Ilse (absent) is refused, Lotte's vote checks her in.
    voting = await walk_to_scale(h, thread_ts)
    assert "Gestemd: 0 van 3 aanwezigen" in text_of(voting)
    await vote(h, "ilse", 4, voting)
    await vote(h, "lotte", 6, voting)
    await vote(h, "sanne", 7, voting)
    await h.settle()
    assert "recorded as afgemeld (excused) or absent" in last_private(h, "ilse")
    live = text_of(h.sb.message(CASE_CHANNEL, voting["ts"]) or {})
    assert "Gestemd: 2 van 4 aanwezigen" in live
    assert f"{h.sb.mention('lotte')}" in text_of(parent(h, thread_ts)).split("Afgemeld")[0]
    await click(h, "petra", "vote_reveal", h.sb.message(CASE_CHANNEL, voting["ts"]) or {})
    assert "2 van 4 aanwezigen" in text_of(results(h, thread_ts))

    await _finish(h, thread_ts)
    shown = text_of(parent(h, thread_ts))
    assert "Nog niet aangemeld" not in shown and "attendance_check_in" not in action_ids(
        parent(h, thread_ts)
    )
    markdown = next(
        content for name, content in _report_files(h, thread_ts) if name.endswith(".md")
    ).decode()
    present = markdown.split("## Aanwezig")[1].split("## ")[0]
    assert "Sanne de Vries" in present and "Lotte Visser" in present
    assert "Karim El Amrani" in present and "Petra van Dijk" in present
    assert "Joost Bakker" not in present and "Ilse Jansen" not in present
    assert "Joost Bakker" in markdown.split("## Afgemeld")[1].split("## ")[0]
    assert "Ilse Jansen" in markdown.split("## Afwezig")[1].split("## ")[0]
    # Scores without names (the default): the report gives the distribution only.
    scores = markdown.split("## Schaalvraag")[1].split("## ")[0]
    assert "verdeling: 6 (1×), 7 (1×)" in scores and "Lotte Visser" not in scores
    missing = markdown.split("## Organisaties van de casus zonder iemand aan tafel")[1]
    assert "Reclassering Nederland" in missing.split("## ")[0]

    # Stored restart-safe, and what the regisseur decided is on the audit log (no content).
    async with h.db.session() as session:
        rows = (await session.exec(select(MeetingInvitee))).all()
        marked = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "attendance_marked"))
        ).all()
    by_user = {row.user_id: row.attendance for row in rows}
    assert by_user["U0SANNE"] == "present" and by_user["U0LOTTE"] == "present"
    assert by_user["U0JOOST"] == "afgemeld" and by_user["U0ILSE"] == "absent"
    assert {(e.actor, e.detail) for e in marked} >= {
        ("U0KARIM", "U0JOOST:afgemeld"),
        ("U0KARIM", "U0ILSE:absent"),
    }


async def test_a_regisseur_adds_someone_who_joined_the_table(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await click(h, "petra", "attendance_open", parent(h, thread_ts))
    ack = await h.sb.user("petra").submit(
        {"attendance_present": {"attendance_present": ["U0PETRA", "U0GASTBRAM"]}}
    )
    assert ack is None
    await h.settle()
    shown = text_of(parent(h, thread_ts))
    assert f"{h.sb.mention('gast_bram')} (aangeschoven)" in shown
    async with h.db.session() as session:
        added = (
            await session.exec(select(MeetingInvitee).where(MeetingInvitee.user_id == "U0GASTBRAM"))
        ).one()
    assert added.attendance == "present" and added.added_by == "U0PETRA"
    # The check-in button is not for the channel only: the question's buttons say who may use them.
    assert "alleen regisseurs" in text_of(current_question(h, thread_ts)).lower()
