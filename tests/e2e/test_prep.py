"""Prep before a meeting through the sandbox: the prep DM at its time, answering and changing
answers in the modal, the one nudge, the regisseurs' view of who prepared, and the Vooraf
overview at the start — and what must not happen: a late answer, a DM to someone who left the
case, a BSN in storage.

Time is injected for reminders (`poll_once(now=...)`); the meeting is planned weeks ahead, so
the bot's own poller (real time) finds nothing due while a test runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.poller import poll_once
from flows.schedule import ReminderKind
from storage.models import Participant
from storage.prep import PrepAnswer
from storage.reminders import Reminder, ReminderStatus
from storage.types import utcnow
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    confirm_early_start,
    register_case,
    stored_meeting,
    text_of,
    thread,
)

AMS = ZoneInfo("Europe/Amsterdam")
INVITED = ["petra", "karim", "sanne", "joost", "ilse", "lotte"]
BEELD = "risicogestuurde_zorg.vooraf.beeld_van_het_gezin"
HULP = "risicogestuurde_zorg.vooraf.hulpverlening"
STAND = "risicogestuurde_zorg.beeldvorming.stand_van_zaken"


def meeting_day() -> date:
    """A Thursday at least three weeks ahead: all reminders lie in the future."""
    day = datetime.now(AMS).date() + timedelta(days=21)
    return day + timedelta(days=(3 - day.weekday()) % 7)


async def plan(h: Harness, *, phase: str = "risicogestuurde_zorg") -> None:
    petra = h.sb.user("petra")
    await petra.slash("/casus", "plan", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is not None, "the planning modal did not open"
    ack = await petra.submit(
        {
            "date": {"date": meeting_day().isoformat()},
            "time": {"time": "10:00"},
            "phase": {"phase": phase},
        }
    )
    assert ack is None, ack
    await h.settle()


async def reminders(h: Harness, kind: ReminderKind) -> dict[str, Reminder]:
    async with h.db.session() as session:
        rows = (await session.exec(select(Reminder).where(Reminder.kind == kind.value))).all()
    return {h.sb.ws.users[r.user_id].handle: r for r in rows if r.user_id}


async def poll_at(h: Harness, now: datetime) -> None:
    await poll_once(h.bot.deps, h.bot.app.client, now=now)
    await h.settle()


async def send_prep_dms(h: Harness) -> datetime:
    [due] = {r.due_at for r in (await reminders(h, ReminderKind.PREP)).values()}
    await poll_at(h, due)
    return due


def prep_dm(h: Harness, who: str) -> dict[str, Any]:
    """The first DM is the prep DM; it is updated in place (saved, closed), never re-posted."""
    return h.sb.user(who).dms()[0]


async def open_prep(h: Harness, who: str) -> dict[str, Any] | None:
    person = h.sb.user(who)
    dm = prep_dm(h, who)
    await person.click("prep_open", message=(person.dm_channel().id, dm["ts"]))
    await h.settle()
    return person.modal


async def answer(
    h: Harness, who: str, texts: dict[str, str], score: int | None = None
) -> dict[str, Any] | None:
    modal = await open_prep(h, who)
    assert modal is not None, f"{who} got no prep modal"
    values: dict[str, dict[str, Any]] = {key: {key: text} for key, text in texts.items()}
    if score is not None:
        values["prep_score"] = {"prep_score": str(score)}
    ack = await h.sb.user(who).submit(values)
    await h.settle()
    return ack


async def stored_preps(h: Harness) -> dict[str, PrepAnswer]:
    async with h.db.session() as session:
        rows = (await session.exec(select(PrepAnswer).order_by(col(PrepAnswer.id)))).all()
    return {h.sb.ws.users[r.user_id].handle: r for r in rows}


def planning_message(h: Harness) -> dict[str, Any]:
    return next(m for m in h.sb.messages(CASE_CHANNEL) if "meeting_start" in action_ids(m))


async def start_planned(h: Harness) -> str:
    await h.sb.user("petra").click(
        "meeting_start", message=(CASE_CHANNEL, planning_message(h)["ts"])
    )
    await h.settle()
    # Planned days ahead: starting now asks first.
    assert await confirm_early_start(h)
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts
    return meeting.thread_ts


# ----- the DM, answering, changing -----


async def test_planning_schedules_prep_nudge_and_meeting_reminder_for_every_invitee(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    day = meeting_day()
    prep = await reminders(h, ReminderKind.PREP)
    nudge = await reminders(h, ReminderKind.PREP_NUDGE)
    meeting = await reminders(h, ReminderKind.MEETING)
    assert sorted(prep) == sorted(nudge) == sorted(meeting) == sorted(INVITED)
    # Thursday 10:00: prep on Monday at opening (3 working days), the nudge Wednesday at
    # opening (1 working day), the meeting reminder a day before.
    assert prep["sanne"].due_at.astimezone(AMS) == datetime.combine(
        day - timedelta(days=3), datetime.min.time().replace(hour=8), AMS
    )
    assert nudge["sanne"].due_at.astimezone(AMS).date() == day - timedelta(days=1)
    assert meeting["sanne"].due_at.astimezone(AMS) == datetime.combine(
        day - timedelta(days=1), datetime.min.time().replace(hour=10), AMS
    )
    # Nothing before it is due.
    await poll_at(h, prep["sanne"].due_at - timedelta(minutes=1))
    assert not h.sb.user("sanne").dms()


async def test_an_invitee_answers_the_prep_questions_from_the_dm(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    dm = prep_dm(h, "sanne")
    shown = text_of(dm)
    assert "ZVH-2026-014" in shown and "Risicogestuurde zorg" in shown
    assert f"{meeting_day().day} " in shown and "10:00" in shown
    assert "prep_open" in action_ids(dm)

    modal = await open_prep(h, "sanne")
    assert modal is not None
    labels = [b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"]
    assert labels[:3] == [
        "Beeld van het gezin",
        "Welke hulpverlening is betrokken?",
        "Wat is de huidige stand van zaken m.b.t. de directe veiligheid?",
    ]
    assert "bezorgd" in labels[3]
    ack = await h.sb.user("sanne").submit(
        {
            BEELD: {BEELD: "Moeder en twee kinderen; vader woont elders."},
            STAND: {STAND: "Sinds de vorige melding rustig."},
            "prep_score": {"prep_score": "4"},
        }
    )
    assert ack is None
    await h.settle()

    stored = (await stored_preps(h))["sanne"]
    assert stored.texts == {
        BEELD: "Moeder en twee kinderen; vader woont elders.",
        STAND: "Sinds de vorige melding rustig.",
    }
    assert stored.pre_score == 4 and stored.organisation == "Wijkteam Utrecht-Oost"
    # Her DM now says it is saved; no extra message.
    [updated] = h.sb.user("sanne").dms()
    assert "opgeslagen" in text_of(updated) and "prep_open" in action_ids(updated)
    # The regisseurs see who answered, per organisation, under the planning message.
    planning = text_of(planning_message(h))
    assert "1 van 6 beantwoord" in planning
    assert "Wijkteam Utrecht-Oost: ✅ <@U0SANNE>" in planning
    assert "Reclassering Nederland: ⏳ <@U0JOOST>" in planning
    assert "Moeder" not in planning  # who, never what


async def test_answers_can_be_changed_until_the_start_and_reopen_filled_in(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    await answer(h, "ilse", {BEELD: "Mother and two children."}, score=3)
    modal = await open_prep(h, "ilse")
    assert modal is not None
    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    assert by_id[BEELD]["element"]["initial_value"] == "Mother and two children."
    assert by_id["prep_score"]["element"]["initial_option"]["value"] == "3"
    assert "Picture of the family" in by_id[BEELD]["label"]["text"]  # her Slack is English
    await h.sb.user("ilse").submit(
        {BEELD: {BEELD: "Mother, two children, grandmother helps."}, HULP: {HULP: "Wijkteam"}}
    )
    await h.settle()
    preps = await stored_preps(h)
    assert list(preps) == ["ilse"]
    assert preps["ilse"].texts == {
        BEELD: "Mother, two children, grandmother helps.",
        HULP: "Wijkteam",
    }
    assert preps["ilse"].pre_score == 3  # kept: the select still showed it


async def test_a_late_answer_after_the_start_is_refused_kindly(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    # Joost opens the form before the start and submits after it.
    assert await open_prep(h, "joost") is not None
    await start_planned(h)
    ack = await h.sb.user("joost").submit({BEELD: {BEELD: "Vader meldt zich wekelijks."}})
    assert ack is not None and ack["response_action"] == "errors"
    assert "begonnen" in ack["errors"][BEELD]
    # Lotte clicks her DM's button after the start: a kind word, no modal, the button is gone.
    lotte = h.sb.user("lotte")
    assert await open_prep(h, "lotte") is None
    told = text_of(lotte.dms()[-1])
    assert "al begonnen" in told and "<#C0CASUSDEMO>" in told
    assert "prep_open" not in action_ids(prep_dm(h, "lotte"))
    assert await stored_preps(h) == {}


# ----- nudges and who gets DMs -----


async def test_the_nudge_goes_only_to_those_who_did_not_answer(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    await answer(h, "sanne", {BEELD: "Moeder en twee kinderen."})
    nudges = await reminders(h, ReminderKind.PREP_NUDGE)
    await poll_at(h, nudges["sanne"].due_at)

    assert len(h.sb.user("sanne").dms()) == 1  # her prep DM, now saying it is saved
    [_, nudge] = h.sb.user("joost").dms()
    assert "nog niet beantwoord" in text_of(nudge) and "prep_open" in action_ids(nudge)
    [_, english] = h.sb.user("ilse").dms()
    assert "not answered the prep questions yet" in text_of(english)
    after = await reminders(h, ReminderKind.PREP_NUDGE)
    assert (after["sanne"].status, after["sanne"].last_error) == (
        ReminderStatus.CANCELLED,
        "answered",
    )
    assert after["joost"].status == ReminderStatus.SENT
    # A second round sends nothing again.
    await poll_at(h, nudges["sanne"].due_at + timedelta(minutes=5))
    assert len(h.sb.user("joost").dms()) == 2

    # The meeting reminder, a day before, goes to everyone, answered or not.
    meeting = await reminders(h, ReminderKind.MEETING)
    await poll_at(h, meeting["sanne"].due_at)
    assert "Herinnering" in text_of(h.sb.user("sanne").dms()[-1])


async def test_someone_removed_from_the_case_before_the_prep_dm_gets_none(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    async with h.db.session() as session:
        joost = (
            await session.exec(select(Participant).where(Participant.user_id == "U0JOOST"))
        ).one()
        joost.removed_at = utcnow()
        session.add(joost)
    await send_prep_dms(h)
    assert h.sb.user("joost").dms() == []
    assert len(h.sb.user("sanne").dms()) == 1
    row = (await reminders(h, ReminderKind.PREP))["joost"]
    assert (row.status, row.last_error) == (ReminderStatus.CANCELLED, "not_participant")
    # Nor a nudge later.
    await poll_at(h, (await reminders(h, ReminderKind.PREP_NUDGE))["joost"].due_at)
    assert h.sb.user("joost").dms() == []


# ----- privacy -----


async def test_a_bsn_is_refused_in_the_modal_and_nothing_is_stored(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    ack = await answer(h, "sanne", {BEELD: "Moeder (BSN 123456782) en twee kinderen."})
    assert ack is not None and ack["response_action"] == "errors"
    assert "BSN" in ack["errors"][BEELD]
    assert h.sb.user("sanne").modal is not None  # still open, to fix it
    assert await stored_preps(h) == {}

    # A phone number is allowed, with a private warning.
    ack = await h.sb.user("sanne").submit({BEELD: {BEELD: "Moeder bereikbaar op 06-12345678."}})
    assert ack is None
    await h.settle()
    assert "telefoonnummer" in text_of(h.sb.user("sanne").dms()[-1])
    assert (await stored_preps(h))["sanne"].texts[BEELD] == "Moeder bereikbaar op 06-12345678."


# ----- at the meeting -----


async def test_the_overview_shows_answers_by_organisation_and_the_score_distribution(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await plan(h)
    await send_prep_dms(h)
    await answer(h, "sanne", {BEELD: "Moeder en twee kinderen.", STAND: "Rustig."}, score=4)
    await answer(h, "joost", {BEELD: "Vader meldt zich wekelijks.", HULP: "Reclassering"}, 7)
    await answer(h, "ilse", {STAND: "No police reports since May."}, score=4)
    await answer(h, "karim", {HULP: "Veilig Thuis volgt de casus."})
    thread_ts = await start_planned(h)

    overview = text_of(thread(h, thread_ts)[0])
    assert "Vooraf" in overview
    beeld = overview.index("*Beeld van het gezin*")
    hulp = overview.index("*Welke hulpverlening is betrokken?*")
    stand = overview.index("*Wat is de huidige stand van zaken m.b.t. de directe veiligheid?*")
    assert beeld < hulp < stand
    assert "_Wijkteam Utrecht-Oost:_ Moeder en twee kinderen." in overview[beeld:hulp]
    assert "_Reclassering Nederland:_ Vader meldt zich wekelijks." in overview[beeld:hulp]
    assert "_Veilig Thuis Midden-Nederland:_ Veilig Thuis volgt de casus." in overview[hulp:stand]
    assert "_Politie Midden-Nederland:_ No police reports since May." in overview[stand:]
    # Scores only as a distribution, never per person or organisation.
    assert "3 ingevuld): 4: 2× · 7: 1×" in overview
    assert "<@U0" not in overview
    # Who was asked and did not answer, by organisation.
    assert "_Niet voorbereid:_ Zorg- en Veiligheidshuis Midden-Nederland, GGZ Centraal" in overview
    # The planning message now says the meeting started; the prep status is not drawn over it.
    [started] = [m for m in h.sb.messages(CASE_CHANNEL) if "is gestart" in text_of(m)]
    assert "beantwoord" not in text_of(started)


async def test_a_meeting_started_without_planning_shows_no_prep(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await h.sb.user("petra").slash("/casus", "start", channel=CASE_CHANNEL)
    await h.settle()
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts
    overview = text_of(thread(h, meeting.thread_ts)[0])
    assert "Nog geen voorbereiding ontvangen." in overview
    assert "Niet voorbereid" not in overview
