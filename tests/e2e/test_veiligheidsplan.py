"""The veiligheidsplan (issue 16, point 2) through the sandbox: one living document per case,
a channel canvas where the workspace allows canvases, else one pinned message updated in place;
after every change it equals what the database holds (rewritten from it, so a hand edit is
overwritten); the purge deletes it."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.admin.retention import run_retention
from bot.agreements.plan import plan_key, plan_markdown
from bot.agreements.plan_render import mrkdwn
from bot.server import start_bot
from storage.models import Case, SlackObject
from storage.slack_objects import object_by_key
from tests.e2e.agreement_steps import click_dm
from tests.e2e.conftest import Harness
from tests.e2e.meeting_steps import stored_case, text_of
from tests.e2e.test_escalation import BODEMEIS, PLAN, check_dm, record_bodemeis

CHANNEL_ID = "C0CASUSDEMO"


def without_moment(text: str) -> str:
    """The document minus its "Bijgewerkt: <when>" line (the minute it was drawn)."""
    return "\n".join(line for line in text.splitlines() if "Bijgewerkt" not in line)


async def case_of(h: Harness) -> Case:
    case = await stored_case(h)
    assert case is not None and case.id is not None
    return case


async def plan_row(h: Harness, case: Case) -> SlackObject:
    async with h.db.session() as session:
        row = await object_by_key(session, key=plan_key(case.id or 0))
    assert row is not None
    return row


async def stored_plan(h: Harness, case: Case) -> str:
    return without_moment(await plan_markdown(h.bot.deps, case.id or 0))


def canvas_text(h: Harness) -> str:
    canvas = h.sb.ws.channels[CHANNEL_ID].canvas
    assert canvas is not None, "the case channel has no canvas"
    return without_moment(canvas.markdown)


def pinned(h: Harness) -> list[dict]:
    return [m for m in h.sb.messages(CHANNEL_ID) if CHANNEL_ID in m.get("pinned_to", [])]


async def purge(h: Harness, case: Case) -> None:
    async with h.db.session() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.status, stored.closed_at = "closed", datetime.now(UTC) - timedelta(days=400)
        session.add(stored)
    [outcome] = await run_retention(h.db, h.settings, h.bot.app.client, now=datetime.now(UTC))
    assert outcome.rows is not None, outcome.postponed


async def test_the_plan_is_a_channel_canvas_that_equals_the_database_after_every_change(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    case = await case_of(h)
    document = canvas_text(h)
    assert document == await stored_plan(h, case)
    assert BODEMEIS in document and "Nog niet gecontroleerd" in document
    assert "Wijzigingen met de hand worden overschreven" in document
    assert "Bij acuut gevaar: 112" in document and "Veilig Thuis" in document
    assert "Direct de procesregisseur en Veilig Thuis bellen" in document  # the agreed plan
    assert not pinned(h)

    # A hand edit in Slack is overwritten by the next change.
    canvas = h.sb.ws.channels[CHANNEL_ID].canvas
    assert canvas is not None
    canvas.content = b"# Iemand schreef hier zelf iets"
    dm = await check_dm(h)
    await click_dm(h, "sanne", "check_not_met", dm)
    document = canvas_text(h)
    assert document == await stored_plan(h, case)
    assert "niet nageleefd" in document and "nog door niemand opgepakt" in document
    assert "Iemand schreef" not in document
    assert PLAN.split(";")[0] in document

    alert = next(m for m in h.sb.messages(CHANNEL_ID) if "Bodemeis niet nageleefd" in text_of(m))
    await h.sb.user("karim").click("escalation_pick_up", message=(CHANNEL_ID, alert["ts"]))
    await h.settle()
    document = canvas_text(h)
    assert document == await stored_plan(h, case) and "opgepakt door" in document
    row = await plan_row(h, case)
    assert row.canvas_id == canvas.id and row.ts is None  # one canvas, edited in place

    await purge(h, case)
    assert h.sb.ws.channels[CHANNEL_ID].canvas is None and canvas.id not in h.sb.ws.files


async def test_without_canvases_the_plan_is_one_pinned_message_updated_in_place(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.sb.ws.canvases = "team_tier"  # a free team: Slack refuses channel canvases
    caplog.set_level(logging.WARNING, logger="casusbot.veiligheidsplan")
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    case = await case_of(h)
    assert h.sb.ws.channels[CHANNEL_ID].canvas is None
    [message] = pinned(h)
    expected = mrkdwn(await stored_plan(h, case))
    assert without_moment(text_of(message).split("\n", 1)[1]) == expected
    assert BODEMEIS in text_of(message) and "Bij acuut gevaar: 112" in text_of(message)
    row = await plan_row(h, case)
    assert json.loads(row.payload or "{}")["pinned"] is True and row.ts == message["ts"]

    dm = await check_dm(h)
    await click_dm(h, "sanne", "check_met", dm)
    [again] = pinned(h)
    assert again["ts"] == message["ts"]  # updated in place, still the one pinned message
    expected = mrkdwn(await stored_plan(h, case))
    assert without_moment(text_of(again).split("\n", 1)[1]) == expected
    assert "nageleefd" in expected
    refusals = [
        r for r in caplog.records if "team_tier_cannot_create_channel_canvases" in r.message
    ]
    assert len(refusals) == 1  # fell back once, with a log line

    await purge(h, case)
    assert h.sb.message(CHANNEL_ID, message["ts"]) is None


async def test_a_restart_between_change_and_render_still_shows_the_plan(
    harness: Harness,
) -> None:
    """The plan is an outbox row committed with the change: a bot that stops before Slack saw
    it draws it at the next start."""
    h = harness
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    case = await case_of(h)
    dm = await check_dm(h)
    # Slack fails every canvas edit for now: the change is stored, the canvas is behind.
    h.sb.faults.add("http_503", method="canvases.edit", times=None)
    await click_dm(h, "sanne", "check_met", dm)
    row = await plan_row(h, case)
    assert row.shown < row.wanted

    await h.bot.stop()
    h.sb.faults.clear()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"
    for _ in range(120):  # the outbox's poller takes the row up again after its backoff
        await h.bot.deps.outbox.poll_once()
        await h.settle()
        if (await plan_row(h, case)).shown == (await plan_row(h, case)).wanted:
            break
        await asyncio.sleep(0.5)
    assert canvas_text(h) == await stored_plan(h, case)
    assert "nageleefd" in canvas_text(h)


async def test_canvases_switched_off_later_move_the_plan_to_a_pinned_message(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    case = await case_of(h)
    assert h.sb.ws.channels[CHANNEL_ID].canvas is not None
    h.sb.ws.canvases = "disabled"  # an admin switched canvases off: edits are refused
    dm = await check_dm(h)
    await click_dm(h, "sanne", "check_met", dm)
    [message] = pinned(h)
    assert without_moment(text_of(message).split("\n", 1)[1]) == mrkdwn(await stored_plan(h, case))
    await purge(h, case)  # the old canvas and the pinned message both go
    assert h.sb.message(CHANNEL_ID, message["ts"]) is None
    assert h.sb.ws.channels[CHANNEL_ID].canvas is None
