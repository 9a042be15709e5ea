"""Answers that are the asker's own: `/casus help` explains how a meeting goes; registering a
case answers its author where they typed; `/casus trend` answers privately in the asker's
language with a button to share it in the channel (shared as outbox objects)."""

from __future__ import annotations

from sqlmodel import select

from storage.models import SlackObject
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import action_ids, click, register_case, start_meeting, text_of
from tests.e2e.test_votes import vote, walk_to_scale


async def test_help_explains_how_a_meeting_goes(harness: Harness) -> None:
    h = harness
    for who, words in (
        ("petra", ("Zo verloopt een casusoverleg", "Antwoord in de draad", "stuurt")),
        ("ilse", ("How a case meeting goes", "Reply in the thread", "steers")),
    ):
        person = h.sb.user(who)
        await person.slash("/casus", "help", channel=CASE_CHANNEL)
        await h.settle()
        shown = text_of(person.ephemerals(CASE_CHANNEL)[-1])
        assert all(w in shown for w in words), shown
        # nieuw → overleg → start, in that order
        assert (
            shown.index("/casus nieuw")
            < shown.index("/casus overleg")
            < shown.index("/casus start")
        )


async def test_registering_from_the_home_tab_answers_the_author_with_a_link(
    harness: Harness,
) -> None:
    h = harness
    petra = h.sb.user("petra")
    await petra.open_home()
    await h.settle()
    await petra.click("home_new_case", view="home")
    await h.settle()
    ack = await petra.submit(
        {
            "code": {"code": "ZVH-2026-077"},
            "phase": {"phase": "directe_veiligheid"},
            "casusregisseur": {"casusregisseur": "karim"},
            "channel": {"channel": "new"},
        }
    )
    assert ack is None or ack.get("response_action") != "errors", ack
    await h.settle()
    told = text_of(petra.dms()[-1])
    assert "ZVH-2026-077" in told and "geregistreerd" in told and "<#C" in told


async def test_registering_in_the_case_channel_needs_no_extra_answer(harness: Harness) -> None:
    h = harness
    await register_case(h)
    assert not any("geregistreerd" in text_of(m) for m in h.sb.user("petra").dms())


async def test_the_trend_is_private_first_and_shared_on_request(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    voting = await walk_to_scale(h, thread_ts)
    for who, score in (("sanne", 3), ("joost", 5), ("karim", 4)):
        await vote(h, who, score, voting)
    await h.settle()
    await click(h, "petra", "vote_reveal", voting)
    before = len(h.sb.messages(CASE_CHANNEL))

    ilse = h.sb.user("ilse")  # her Slack is English
    await ilse.slash("/casus", "trend", channel=CASE_CHANNEL)
    await h.settle()
    assert len(h.sb.messages(CASE_CHANNEL)) == before
    private = ilse.ephemerals(CASE_CHANNEL)[-1]
    assert "median 4" in text_of(private) and "share_trend" in action_ids(private)

    await ilse.click("share_trend", message=(CASE_CHANNEL, private["ts"]))
    await h.settle()
    shared = h.sb.messages(CASE_CHANNEL)[before:]
    assert any("Verloop van de schaalvraag" in text_of(m) for m in shared)  # the channel's nl
    async with h.db.session() as session:
        objects = (
            await session.exec(select(SlackObject).where(SlackObject.kind == "votes.trend"))
        ).all()
    assert objects and {o.ts for o in objects} <= {m["ts"] for m in shared}
