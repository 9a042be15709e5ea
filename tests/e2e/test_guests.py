"""Guests confirm the confidentiality statement before anything else (DESIGN §6)."""

from __future__ import annotations

from sqlmodel import select

from storage.models import AuditEvent, Contribution, Participant
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import register_case, start_meeting, text_of


async def _guest(h: Harness) -> Participant:
    async with h.db.session() as session:
        return (await session.exec(select(Participant).where(Participant.role == "gast"))).one()


async def test_a_guest_confirms_before_contributing(harness: Harness) -> None:
    h = harness
    await register_case(h, guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    invitation = bram.dms()[-1]
    assert "Geheimhoudingsverklaring" in text_of(invitation)
    assert (await _guest(h)).confidentiality_confirmed_at is None

    thread_ts = await start_meeting(h)
    await bram.post(CASE_CHANNEL, "Op school is hij vaak stil.", thread_ts=thread_ts)
    await h.settle()
    async with h.db.session() as session:
        assert (await session.exec(select(Contribution))).all() == []
    private = bram.ephemerals(CASE_CHANNEL)
    assert any("niet in het verslag" in text_of(m) for m in private)
    assert "confirm_confidentiality" in str(private[-1]["blocks"])

    await bram.click("confirm_confidentiality", message=invitation)
    await h.settle()
    confirmed = (await _guest(h)).confidentiality_confirmed_at
    assert confirmed is not None
    assert "bevestigd" in text_of(bram.dms()[-1])

    await bram.post(CASE_CHANNEL, "Op school is hij vaak stil.", thread_ts=thread_ts)
    await h.settle()
    async with h.db.session() as session:
        assert len((await session.exec(select(Contribution))).all()) == 1
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert "confidentiality_confirmed" in actions and "refused" in actions


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
