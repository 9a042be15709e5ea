"""`/casus tijdlijn`: the case's meetings, phase changes and the score trend, on request."""

from __future__ import annotations

from sqlmodel import select

from storage.models import SlackObject
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import hold_meeting, register_case, text_of


async def test_the_timeline_answers_privately_and_can_be_shared(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "door_naar_risicogestuurde_zorg")
    before = len(h.sb.messages(CASE_CHANNEL))
    sanne = h.sb.user("sanne")
    await sanne.slash("/casus", "tijdlijn", channel=CASE_CHANNEL)
    await h.settle()
    assert len(h.sb.messages(CASE_CHANNEL)) == before  # nothing posted for everyone
    answer = sanne.ephemerals(CASE_CHANNEL)
    private = "\n".join(text_of(m) for m in answer)
    assert "Tijdlijn casus ZVH-2026-014" in private
    assert "Directe veiligheid → Risicogestuurde zorg · afgerond" in private  # both phases held
    assert "Controles van bodemeisen" in private and "Nog niets." in private

    # Shared: posted in the channel as outbox objects, so the purge finds them again.
    await sanne.click("share_timeline", message=(CASE_CHANNEL, answer[-1]["ts"]))
    await h.settle()
    posted = "\n".join(text_of(m) for m in h.sb.messages(CASE_CHANNEL)[before:])
    assert "Tijdlijn casus ZVH-2026-014" in posted
    assert "Directe veiligheid → Risicogestuurde zorg · afgerond" in posted  # both phases held
    assert "Directe veiligheid → Risicogestuurde zorg" in posted
    async with h.db.session() as session:
        objects = (
            await session.exec(select(SlackObject).where(SlackObject.kind == "reports.timeline"))
        ).all()
    posted_ts = {m["ts"] for m in h.sb.messages(CASE_CHANNEL)[before:]}
    assert objects and all(o.ts in posted_ts for o in objects)


async def test_the_timeline_is_in_the_askers_language(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "door_naar_risicogestuurde_zorg")
    ilse = h.sb.user("ilse")  # her Slack is English
    await ilse.slash("/casus", "tijdlijn", channel=CASE_CHANNEL)
    await h.settle()
    private = "\n".join(text_of(m) for m in ilse.ephemerals(CASE_CHANNEL))
    assert "Timeline of case ZVH-2026-014" in private and "Share in the channel" in private


async def test_only_participants_see_the_timeline(harness: Harness) -> None:
    h = harness
    await register_case(h)
    h.sb.invite(CASE_CHANNEL, "gast_bram")  # in the channel, but not a participant of the case
    before = len(h.sb.messages(CASE_CHANNEL))
    await h.sb.user("gast_bram").slash("/casus", "tijdlijn", channel=CASE_CHANNEL)
    await h.settle()
    assert len(h.sb.messages(CASE_CHANNEL)) == before
    assert "geen deelnemer" in text_of(h.sb.user("gast_bram").ephemerals(CASE_CHANNEL)[-1])
