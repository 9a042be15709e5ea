"""Hostile input at the bot's HTTP endpoint (DESIGN §6): forged, stale, replayed, malformed,
oversized and mistyped requests get a 2xx or 4xx — never a 500 — a person gets a clear
answer, and the database is exactly as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from storage.cases import create_case
from storage.meetings import plan_meeting
from storage.models import Role
from storage.types import utcnow
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import current_question, register_case, start_meeting, text_of
from tests.security.conftest import FORM, JSON, Attacker, snapshot, thread_reply_event

MIB = 1024 * 1024


async def running_meeting(h: Harness) -> tuple[str, dict[str, Any]]:
    await register_case(h)
    thread_ts = await start_meeting(h)
    return thread_ts, current_question(h, thread_ts)


async def other_case_meeting(h: Harness) -> int:
    """A meeting of a case petra has nothing to do with."""
    async with h.db.session() as session:
        case = await create_case(
            session,
            code="ZVH-2026-777",
            phase="directe_veiligheid",
            channel_id="C0OTHERCASE",
            created_by="U0KARIM",
            members=[("U0KARIM", Role.PROCESREGISSEUR, "")],
        )
        meeting = await plan_meeting(
            session,
            case_id=case.id,
            phase="directe_veiligheid",
            scheduled_at=utcnow(),
            planned_by="U0KARIM",
            invitees=["U0KARIM"],
            state="{}",
        )
        assert meeting.id is not None
        return meeting.id


def no_crash_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No handler blew up: nothing failed with a traceback behind the user's back."""
    crashes = [
        r
        for r in caplog.records
        if r.exc_info and r.levelno >= logging.ERROR and "refused" not in r.getMessage()
    ]
    assert not crashes, [r.getMessage() for r in crashes]


# ----- who is asking: signatures and timestamps -----


@pytest.mark.parametrize(
    "options",
    [
        {"secret": "not-the-signing-secret"},
        {"signed": False},
        {"age": 301},  # older than Slack's five minutes
        {"age": -301},  # from the future
        {"headers": {"X-Slack-Signature": "v0=" + "0" * 64}},
        {"headers": {"X-Slack-Request-Timestamp": "yesterday"}},
    ],
    ids=["wrong-secret", "unsigned", "stale", "future", "forged-hash", "bad-timestamp"],
)
async def test_unverified_requests_are_refused_and_change_nothing(
    harness: Harness, attacker: Attacker, options: dict[str, Any]
) -> None:
    _, question = await running_meeting(harness)
    before = await snapshot(harness)
    payload = attacker.click_payload("petra", "meeting_next", question)
    if "age" in options:
        options = {"timestamp": int(time.time()) - options["age"]}
    response = await attacker.interaction(payload, **options)
    await harness.settle()
    assert response.status == 401
    assert await snapshot(harness) == before


# ----- replays -----


async def test_a_replayed_click_moves_the_meeting_once(
    harness: Harness, attacker: Attacker
) -> None:
    _, question = await running_meeting(harness)
    payload = attacker.click_payload("petra", "meeting_next", question)
    first = await attacker.interaction(payload)
    await harness.settle()
    moved = await snapshot(harness)
    second = await attacker.interaction(payload)
    await harness.settle()
    assert (first.status, second.status) == (200, 200)
    assert await snapshot(harness) == moved
    told = harness.sb.user("petra").ephemerals(CASE_CHANNEL)
    assert "oudere stand van het overleg" in text_of(told[-1])  # why nothing happened


async def test_a_replayed_thread_reply_is_stored_once(harness: Harness, attacker: Attacker) -> None:
    thread_ts, _ = await running_meeting(harness)
    h = harness
    event = thread_reply_event(h, thread_ts, "Ev0REPLAYED01")
    assert (await attacker.event(event)).status == 200
    await h.settle()
    stored = await snapshot(h)
    assert stored["contribution"] == 1
    assert (await attacker.event(event)).status == 200  # same event_id: Slack's retry
    await h.settle()
    assert await snapshot(h) == stored
    event["event_id"] = "Ev0REPLAYED02"  # a new id for the same message: still one minute
    assert (await attacker.event(event)).status == 200
    await h.settle()
    again = await snapshot(h)
    assert again.pop("processed_delivery") == stored.pop("processed_delivery") + 1
    assert again == stored


# ----- malformed bodies, wrong content types, size -----


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=not-json", FORM),
        ("payload=%5B%5D", FORM),  # a JSON array
        ("payload=123", FORM),
        ("payload=%7B%7D", FORM),  # an empty object
        ("", FORM),
        ("", JSON),
        ("{not json", JSON),
        ("[]", JSON),
        ('"just a string"', JSON),
        ('{"type": "event_callback"}', JSON),
        ('{"type": "event_callback", "event": "message"}', JSON),
        ('{"type": "event_callback", "event": {"type": 5}}', JSON),
        ('{"type": "block_actions", "actions": "x"}', JSON),
        ("command=%2Fcasus", FORM),  # a slash command without a user
        (b"\xff\xfe\x00\x01garbage", FORM),
        ("payload=%7B%22type%22%3A%22block_actions%22%7D", "text/plain"),
        ("<xml/>", "application/xml"),
        (
            "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--",
            "multipart/form-data; boundary=b",
        ),
        ("payload=%7B%7D", None),
    ],
)
async def test_malformed_bodies_get_a_4xx_or_2xx_and_change_nothing(
    harness: Harness,
    attacker: Attacker,
    caplog: pytest.LogCaptureFixture,
    body: str | bytes,
    content_type: str | None,
) -> None:
    await running_meeting(harness)
    before = await snapshot(harness)
    response = await attacker.send(body, content_type)
    await harness.settle()
    assert response.status < 500, response.text
    assert await snapshot(harness) == before
    no_crash_logged(caplog)


async def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(
    harness: Harness, attacker: Attacker
) -> None:
    before = await snapshot(harness)
    response = await attacker.send("payload=" + "x" * MIB, FORM)
    assert response.status == 413
    assert await snapshot(harness) == before
    health = await attacker.session.get(f"http://127.0.0.1:{harness.bot.port}/healthz")
    assert health.status == 200  # and the bot carries on


# ----- forged and mistyped ids in buttons -----


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "",
        "{}",
        '{"m": 999999, "v": 0}',  # no such meeting
        '{"m": "1", "v": 0}',  # an id as a string
        '{"m": -1}',
        '{"m": 1, "evil": true}',  # keys we never send
        '{"m": 1.5}',
        '{"m": 99999999999999999999}',
        "x" * 2001,
        5,  # a number instead of a string
        ["a"],  # an array
        {"m": 1},  # an object
        None,
        True,
    ],
)
async def test_forged_button_values_get_a_clear_answer_and_change_nothing(
    harness: Harness, attacker: Attacker, caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    _, question = await running_meeting(harness)
    before = await snapshot(harness)
    petra = harness.sb.user("petra")
    told_before = len(petra.ephemerals(CASE_CHANNEL))
    payload = attacker.click_payload("petra", "meeting_next", question, value=value)
    response = await attacker.interaction(payload)
    await harness.settle()
    assert response.status == 200
    assert await snapshot(harness) == before
    told = petra.ephemerals(CASE_CHANNEL)[told_before:]
    assert told, "petra was not told why nothing happened"
    assert "Er ging iets mis" not in text_of(told[-1])  # a reason, not a generic failure
    no_crash_logged(caplog)


async def test_a_meeting_of_another_case_cannot_be_steered_from_here(
    harness: Harness, attacker: Attacker, caplog: pytest.LogCaptureFixture
) -> None:
    _, question = await running_meeting(harness)
    other = await other_case_meeting(harness)
    before = await snapshot(harness)
    petra = harness.sb.user("petra")
    told_before = len(petra.ephemerals(CASE_CHANNEL))
    for action in ("meeting_start", "meeting_next", "meeting_end"):
        payload = attacker.click_payload(
            "petra", "meeting_next", question, value=json.dumps({"m": other, "v": 0})
        )
        payload["actions"][0]["action_id"] = action
        assert (await attacker.interaction(payload)).status == 200
    await harness.settle()
    after = await snapshot(harness)
    # The refusals are audited (who tried what, DESIGN §6); nothing else changed.
    assert after.pop("audit_event") >= before.pop("audit_event")
    assert after == before
    assert len(petra.ephemerals(CASE_CHANNEL)) - told_before == 3
    no_crash_logged(caplog)


@pytest.mark.parametrize(
    "change",
    [
        {"actions": "x"},
        {"actions": [5]},
        {"actions": []},
        {"actions": [{"action_id": 5, "value": "{}"}]},
        {"user": "U0PETRA"},
        {"user": None},
        {"user": {"id": 5}},
        {"channel": 5},
        {"container": []},
        {"message": "x"},
        {"view": "x"},
        {"trigger_id": 5},
        {"response_url": 5},
        {"team": 5},
    ],
)
async def test_mistyped_fields_in_an_interaction_never_crash(
    harness: Harness, attacker: Attacker, caplog: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    _, question = await running_meeting(harness)
    before = await snapshot(harness)
    payload = {**attacker.click_payload("petra", "meeting_next", question), **change}
    response = await attacker.interaction(payload)
    await harness.settle()
    assert response.status < 500, response.text
    assert await snapshot(harness) == before
    no_crash_logged(caplog)


async def test_an_unknown_action_is_answered_without_effect(
    harness: Harness, attacker: Attacker
) -> None:
    _, question = await running_meeting(harness)
    before = await snapshot(harness)
    payload = attacker.click_payload("petra", "meeting_next", question)
    payload["actions"][0]["action_id"] = "drop_table_case"
    response = await attacker.interaction(payload)
    assert response.status < 500
    assert await snapshot(harness) == before


# ----- modals filled with hostile text -----


async def test_control_characters_in_the_new_case_form_get_a_field_error(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    before = await snapshot(harness)
    for code in ("ZVH\x00-2026-1", "ZVH-\x1b[31m-1", "ZVH-2026\u202e-1", "ZVH-\t2026"):
        ack = await register_case(harness, code=code)
        assert ack is not None and ack["response_action"] == "errors", repr(code)
        assert ack["errors"]["code"]
        await harness.sb.user("petra").close_modal()
    assert await snapshot(harness) == before
    no_crash_logged(caplog)


def new_case_submission(h: Harness, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    petra = h.sb.user("petra")
    state = {
        "code": {"code": {"type": "plain_text_input", "value": values.get("code")}},
        "phase": {
            "phase": {"type": "static_select", "selected_option": {"value": values.get("phase")}}
        },
        "casusregisseur": {
            "casusregisseur": {
                "type": "users_select",
                "selected_user": values.get("casusregisseur"),
            }
        },
        "participants": {
            "participants": {
                "type": "multi_users_select",
                "selected_users": values.get("participants"),
            }
        },
    }
    return {
        "type": "view_submission",
        "team": {"id": h.sb.ws.team_id, "domain": h.sb.ws.domain},
        "user": {"id": petra.id, "username": "petra", "name": "petra", "team_id": h.sb.ws.team_id},
        "api_app_id": h.app.app_id,
        "token": h.app.verification_token,
        "trigger_id": "1.2.3",
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
    }


@pytest.mark.parametrize(
    "values",
    [
        {"code": "Z" * 500_000},  # far past the input's max_length, as a forged client sends
        {"code": "ZVH-2026-1\u0000" * 1000},
        {"code": 12345},
        {"code": ["ZVH-1"]},
        {"code": None},
        {"code": "ZVH-2026-014", "phase": "no_such_phase"},
        {"code": "ZVH-2026-014", "phase": 3},
        {"code": "ZVH-2026-014", "casusregisseur": ["U0KARIM"]},
        {"code": "ZVH-2026-014", "casusregisseur": "U0KARIM", "participants": "U0SANNE"},
        {"code": "ZVH-2026-014", "casusregisseur": "U0KARIM", "participants": [5, None]},
    ],
)
async def test_forged_new_case_submissions_get_an_answer_and_store_nothing(
    harness: Harness,
    attacker: Attacker,
    caplog: pytest.LogCaptureFixture,
    values: dict[str, Any],
) -> None:
    petra = harness.sb.user("petra")
    await petra.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await harness.settle()
    assert petra.modal is not None
    before = await snapshot(harness)
    values = {"phase": "directe_veiligheid", "casusregisseur": "U0KARIM", **values}
    response = await attacker.interaction(new_case_submission(harness, petra.modal, values))
    await harness.settle()
    assert response.status < 500, response.text
    if response.status == 200 and response.text:
        answer = json.loads(response.text)
        assert answer["response_action"] == "errors" and all(answer["errors"].values())
    assert await snapshot(harness) == before
    no_crash_logged(caplog)
