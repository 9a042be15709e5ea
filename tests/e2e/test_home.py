"""The home tab through the sandbox: my cases, the next meeting, prep waiting, paging."""

from __future__ import annotations

from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import register_case


async def _home_text(h: Harness, who: str) -> str:
    person = h.sb.user(who)
    await person.open_home()
    await h.settle()
    assert person.home is not None
    return str(person.home["blocks"])


async def test_the_home_tab_shows_my_cases_and_what_waits_for_me(harness: Harness) -> None:
    h = harness
    await register_case(h)
    petra = await _home_text(h, "petra")
    assert "ZVH-2026-014" in petra and "Procesregisseur" in petra
    assert "Geen overleg gepland." in petra

    await h.sb.user("petra").slash("/casus", "overleg", channel=CASE_CHANNEL)
    await h.settle()
    await h.sb.user("petra").submit({})
    await h.settle()
    sanne = await _home_text(h, "sanne")
    assert "Volgend overleg:" in sanne
    assert (
        "Voorbereiding die op je wacht" in sanne
        and "ZVH-2026-014" in sanne.split("Mijn openstaande")[0]
    )


async def test_someone_outside_every_case_gets_the_welcome(harness: Harness) -> None:
    h = harness
    await register_case(h)
    assert "Welkom bij Casusbot" in await _home_text(h, "gast_bram")


async def test_a_new_case_can_be_started_from_the_home_tab(harness: Harness) -> None:
    h = harness
    petra = h.sb.user("petra")
    await petra.open_home()
    await h.settle()
    await petra.click("home_new_case", view="home")
    await h.settle()
    assert petra.modal is not None and petra.modal["callback_id"] == "new_case"
    options = [
        o["value"]
        for block in petra.modal["blocks"]
        if block.get("block_id") == "channel"
        for o in block["element"]["options"]
    ]
    assert options == ["new"]  # from the home tab only a new private channel makes sense
