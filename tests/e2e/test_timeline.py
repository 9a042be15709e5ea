"""`/casus tijdlijn`: the case's meetings, phase changes and the score trend, on request."""

from __future__ import annotations

from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import hold_meeting, register_case, text_of


async def test_the_timeline_lists_meetings_and_phase_changes(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "door_naar_risicogestuurde_zorg")
    before = len(h.sb.messages(CASE_CHANNEL))
    await h.sb.user("sanne").slash("/casus", "tijdlijn", channel=CASE_CHANNEL)
    await h.settle()
    posted = "\n".join(text_of(m) for m in h.sb.messages(CASE_CHANNEL)[before:])
    assert "Tijdlijn casus ZVH-2026-014" in posted
    assert "Directe veiligheid → Risicogestuurde zorg · afgerond" in posted  # both phases held
    assert "Directe veiligheid → Risicogestuurde zorg" in posted
    assert "Controles van bodemeisen" in posted and "Nog niets." in posted


async def test_only_participants_see_the_timeline(harness: Harness) -> None:
    h = harness
    await register_case(h)
    h.sb.invite(CASE_CHANNEL, "gast_bram")  # in the channel, but not a participant of the case
    before = len(h.sb.messages(CASE_CHANNEL))
    await h.sb.user("gast_bram").slash("/casus", "tijdlijn", channel=CASE_CHANNEL)
    await h.settle()
    assert len(h.sb.messages(CASE_CHANNEL)) == before
    assert "geen deelnemer" in text_of(h.sb.user("gast_bram").ephemerals(CASE_CHANNEL)[-1])
