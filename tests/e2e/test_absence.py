"""Absence and stand-ins (issue 16 point 7): someone sets "afwezig t/m <datum>, vervanger
@iemand" on the home tab; meanwhile the reminders meant for them reach the stand-in, marked as
such, and the stand-in may answer them; the regisseurs see it on the case; it ends by itself.
Through a restart in the middle of the absence."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.absence import Absence
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import in_days, poll, stored_reminders, today
from tests.e2e.conftest import Harness
from tests.e2e.meeting_steps import action_ids, register_case, start_meeting, text_of
from tests.e2e.membership_steps import agreement, give_action, newcomer


async def _away(h: Harness, who: str, until_days: int, stand_in: str) -> None:
    person = h.sb.user(who)
    await person.open_home()
    await h.settle()
    await person.click("absence_open")
    await h.settle()
    assert person.modal is not None
    await person.submit(
        {
            "until": {"until": in_days(until_days).isoformat()},
            "stand_in": {"stand_in": stand_in},
        }
    )
    await h.settle()


async def _due(h: Harness, agreement_id: int):  # type: ignore[no-untyped-def]
    return next(
        r
        for r in await stored_reminders(h, ReminderKind.ACTION_DUE)
        if r.agreement_id == agreement_id and r.status == ReminderStatus.PENDING
    )


async def test_while_away_the_stand_in_gets_and_answers_the_reminders(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await start_meeting(h)
    during = await give_action(h, "sanne", due=in_days(3), wording="Huisbezoek bij moeder")
    after = await give_action(h, "sanne", due=in_days(12), wording="Gesprek met school")
    await _away(h, "sanne", 7, "joost")
    sanne = h.sb.user("sanne")
    assert "afwezig t/m" in str(sanne.home["blocks"])  # type: ignore[index]
    petra = h.sb.user("petra")
    await petra.open_home()
    await h.settle()
    assert f"Afwezig: <@{sanne.id}>" in str(petra.home["blocks"])  # type: ignore[index]

    # A restart in the middle of the absence loses nothing.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    before = len(sanne.dms())
    reminder = await _due(h, during)
    assert (await poll(h, reminder.due_at)).sent == 1
    joost = h.sb.user("joost")
    dm = joost.dms()[-1]
    assert "Huisbezoek bij moeder" in text_of(dm) and f"Namens <@{sanne.id}>" in text_of(dm)
    assert len(sanne.dms()) == before
    await joost.click("action_done", message=(joost.dm_channel(), dm["ts"]))
    await h.settle()
    assert (await agreement(h, during)).status == "done"

    # It ends by itself: the reminder after the last day reaches her again.
    reminder = await _due(h, after)
    assert (await poll(h, reminder.due_at)).sent == 1
    assert "Gesprek met school" in text_of(sanne.dms()[-1])
    assert "Namens" not in text_of(sanne.dms()[-1])


async def test_a_stand_in_outside_the_case_gets_nothing_of_it(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await start_meeting(h)
    action_id = await give_action(h, "sanne", due=in_days(2), wording="Huisbezoek")
    newcomer(h)
    await _away(h, "sanne", 5, "mila")
    reminder = await _due(h, action_id)
    assert (await poll(h, reminder.due_at)).sent == 1
    assert h.sb.user("mila").dms() == []
    dm = h.sb.user("petra").dms()[-1]  # the case's lead stands in
    assert "Huisbezoek" in text_of(dm) and "regisseur" in text_of(dm)
    assert "action_done" in action_ids(dm)


async def test_back_early_and_bad_input(harness: Harness) -> None:
    h = harness
    await register_case(h)
    sanne = h.sb.user("sanne")
    await sanne.open_home()
    await h.settle()
    await sanne.click("absence_open")
    await h.settle()
    ack = await sanne.submit(
        {
            "until": {"until": (today() - timedelta(days=1)).isoformat()},
            "stand_in": {"stand_in": "sanne"},
        }
    )
    assert ack is not None and set(ack["errors"]) == {"until", "stand_in"}
    await sanne.close_modal()
    await _away(h, "sanne", 3, "joost")
    async with h.db.session() as session:
        assert len((await session.exec(select(Absence))).all()) == 1
    await sanne.click("absence_end")
    await h.settle()
    async with h.db.session() as session:
        assert (await session.exec(select(Absence))).all() == []
    assert "absence_open" in str(sanne.home["blocks"])  # type: ignore[index]


async def test_the_stand_in_prepares_for_someone_away(harness: Harness) -> None:
    from tests.e2e.test_prep import plan, reminders, stored_preps

    h = harness
    await register_case(h)
    await plan(h)
    due = (await reminders(h, ReminderKind.PREP))["sanne"].due_at
    await _away(h, "sanne", 40, "joost")
    await poll(h, due)
    sanne, joost = h.sb.user("sanne"), h.sb.user("joost")
    assert not any("prep_open" in action_ids(m) for m in sanne.dms())
    [theirs] = [m for m in joost.dms() if f"Namens <@{sanne.id}>" in text_of(m)]
    await joost.click("prep_open", message=(joost.dm_channel().id, theirs["ts"]))
    await h.settle()
    assert joost.modal is not None
    key = next(b["block_id"] for b in joost.modal["blocks"] if b.get("type") == "input")
    await joost.submit({key: {key: "Wijkteam ziet moeder wekelijks."}})
    await h.settle()
    preps = await stored_preps(h)
    assert "sanne" in preps  # on behalf of the invitee who is away


async def test_the_stand_in_answers_a_bodemeis_check(harness: Harness) -> None:
    from tests.e2e.agreement_steps import pending, stored_checks
    from tests.e2e.test_escalation import record_bodemeis

    h = harness
    await record_bodemeis(h, plan=False)
    await _away(h, "sanne", 30, "joost")
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    await poll(h, check.due_at)
    sanne, joost = h.sb.user("sanne"), h.sb.user("joost")
    assert not any("check_met" in action_ids(m) for m in sanne.dms())
    [dm] = [m for m in joost.dms() if "check_met" in action_ids(m)]
    assert f"Namens <@{sanne.id}>" in text_of(dm)
    await joost.click("check_met", message=(joost.dm_channel(), dm["ts"]))
    await h.settle()
    [answered] = await stored_checks(h)
    assert answered.answer == "nageleefd" and answered.answered_by == joost.id
