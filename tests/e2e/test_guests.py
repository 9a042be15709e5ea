"""Guests confirm the confidentiality statement before anything else (DESIGN §6, issue 18):
the statement comes first, the case channel only after confirming; declining leaves them out;
a guest registers no case and opens no form but their confirmation."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.models import AuditEvent, Contribution, Participant
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import poll, stored_reminders
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import register_case, start_meeting, text_of


async def _guest(h: Harness) -> Participant:
    async with h.db.session() as session:
        return (await session.exec(select(Participant).where(Participant.role == "gast"))).one()


def _in_channel(h: Harness, handle: str) -> bool:
    return h.sb.user(handle).id in h.sb.channel(CASE_CHANNEL).members


async def test_a_guest_is_let_into_the_channel_only_after_confirming(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    invitation = bram.dms()[-1]
    assert "Geheimhoudingsverklaring" in text_of(invitation)
    assert (await _guest(h)).confidentiality_confirmed_at is None
    # The statement first: the guest cannot read a word of the case channel yet.
    assert not _in_channel(h, "gast_bram")
    assert all(_in_channel(h, who) for who in ("petra", "karim", "sanne"))

    thread_ts = await start_meeting(h)
    # A restart while the statement waits: its button still lets the guest in.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"
    await bram.click("confirm_confidentiality", message=invitation)
    await h.settle()
    assert (await _guest(h)).confidentiality_confirmed_at is not None
    assert "bevestigd" in text_of(bram.dms()[-1])
    assert _in_channel(h, "gast_bram")

    await bram.post(CASE_CHANNEL, "Op school is hij vaak stil.", thread_ts=thread_ts)
    await h.settle()
    async with h.db.session() as session:
        assert len((await session.exec(select(Contribution))).all()) == 1
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert "confidentiality_confirmed" in actions


async def test_a_guest_added_to_the_channel_by_hand_contributes_only_after_confirming(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    thread_ts = await start_meeting(h)
    # Someone invites the guest by hand before they confirmed: they get the statement there,
    # and what they write is not in the minutes.
    await h.sb.user("petra").invite(CASE_CHANNEL, "gast_bram")
    await h.settle()
    assert "confirm_confidentiality" in str(bram.ephemerals(CASE_CHANNEL)[-1]["blocks"])
    await bram.post(CASE_CHANNEL, "Op school is hij vaak stil.", thread_ts=thread_ts)
    await h.settle()
    async with h.db.session() as session:
        assert (await session.exec(select(Contribution))).all() == []
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert any("niet in het verslag" in text_of(m) for m in bram.ephemerals(CASE_CHANNEL))
    assert "refused" in actions


async def test_declining_leaves_the_guest_out(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    await bram.click("confidentiality_decline", message=bram.dms()[-1])
    await h.settle()
    assert "niet mee" in text_of(bram.dms()[-1])
    assert not _in_channel(h, "gast_bram")
    assert (await _guest(h)).removed_at is not None
    # The statement lost its buttons; the regisseurs are told.
    assert "confirm_confidentiality" not in str(bram.dms()[-1]["blocks"])
    assert any("niet mee" in text_of(m) for m in h.sb.user("petra").dms())
    async with h.db.session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert "confidentiality_declined" in actions


async def test_a_guest_registers_no_case_and_opens_no_form(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    await bram.click("confirm_confidentiality", message=bram.dms()[-1])
    await h.settle()
    await bram.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await h.settle()
    assert bram.modal is None
    assert any("geen casus registreren" in text_of(m) for m in bram.ephemerals(CASE_CHANNEL))


async def test_a_confirmation_for_another_case_id_changes_nothing(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    invitation = bram.dms()[-1]
    # The same button with a case id that is not his (a forged request).
    await bram.click("confirm_confidentiality", message=invitation, tamper={"value": '{"c":999}'})
    await h.settle()
    assert (await _guest(h)).confidentiality_confirmed_at is None
    assert "klopt niet" in text_of(bram.dms()[-1])
    assert not _in_channel(h, "gast_bram")


async def test_a_confirmed_guest_opens_no_form(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    await bram.click("confirm_confidentiality", message=bram.dms()[-1])
    await h.settle()
    petra = h.sb.user("petra")
    await petra.slash("/casus", "overleg", channel=CASE_CHANNEL)
    await h.settle()
    day = date.today() + timedelta(days=14)
    await petra.submit(
        {
            "date": {"date": day.isoformat()},
            "time": {"time": "10:00"},
            "invited": {"invited": ["petra", "karim", "gast_bram"]},
        }
    )
    await h.settle()
    [prep] = [
        r
        for r in await stored_reminders(h, ReminderKind.PREP)
        if r.user_id == bram.id and r.status == ReminderStatus.PENDING
    ]
    assert (await poll(h, prep.due_at)).sent >= 1
    dm = bram.dms()[-1]
    await bram.click("prep_open", message=(bram.dm_channel(), dm["ts"]))
    await h.settle()
    assert bram.modal is None
    assert "Als gast vul je geen formulieren in" in text_of(bram.dms()[-1])
