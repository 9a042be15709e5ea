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


async def test_actions_and_bodemeisen_can_be_handled_from_the_home_tab(harness: Harness) -> None:
    from datetime import UTC, datetime

    from tests.e2e.agreement_steps import (
        in_days,
        open_form,
        poll,
        stored_agreements,
        submit,
        walk_to,
    )
    from tests.e2e.meeting_steps import current_question, start_meeting

    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    await open_form(h, "petra", "agreement_action_open", question)
    await submit(
        h,
        "petra",
        {"agreement_text": "Huisbezoek", "owner_user": "sanne", "due_date": in_days(5).isoformat()},
    )
    await open_form(h, "petra", "agreement_bodemeis_open", current_question(h, thread_ts))
    await submit(h, "petra", {"agreement_text": "Geen contact met moeder", "monitor": "ilse"})

    sanne = h.sb.user("sanne")
    assert "Huisbezoek" in await _home_text(h, "sanne")
    await sanne.click("action_done", view="home")
    await h.settle()
    action = next(a for a in await stored_agreements(h) if a.kind == "action")
    assert action.status == "done"
    assert "Je hebt geen openstaande acties." in str(sanne.home["blocks"])

    ilse = h.sb.user("ilse")
    assert "Geen contact met moeder" in await _home_text(h, "ilse")
    before = len(ilse.dms())
    await ilse.click("home_check_now", view="home")
    await h.settle()
    assert "check for this bodemeis" in str(ilse.dms()[-1])  # told in her DM: home has no channel
    await poll(h, datetime.now(UTC))
    assert len(ilse.dms()) == before + 2
    assert "check_met" in str(ilse.dms()[-1]["blocks"])


async def test_the_prep_form_opens_from_the_home_tab_at_once(harness: Harness) -> None:
    """No waiting for the prep DM (held back until working hours): the home tab's button opens
    the form, the answer is stored, and the line leaves the home tab."""
    from tests.e2e.test_prep import plan, stored_preps

    h = harness
    await register_case(h)
    await plan(h)
    sanne = h.sb.user("sanne")
    assert sanne.dms() == []  # the prep DM waits for its time
    await sanne.open_home()
    await h.settle()
    await sanne.click("prep_open", view="home")
    await h.settle()
    assert sanne.modal is not None and sanne.modal["callback_id"] == "prep"
    key = "risicogestuurde_zorg.vooraf.beeld_van_het_gezin"
    assert await sanne.submit({key: {key: "Moeder werkt mee."}}) is None
    await h.settle()
    assert (await stored_preps(h))["sanne"].texts == {key: "Moeder werkt mee."}
    home = str(sanne.home)
    assert "prep_open" not in home and "Geen voorbereiding open" in home
