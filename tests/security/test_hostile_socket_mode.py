"""Hostile envelopes over Socket Mode (issue 17): wrong types in the envelope or its payload,
nesting thousands deep, text that is not JSON. Each must be acked (Slack redelivers what is
not acked, and it would fail the same way every time) and logged — never raise inside Bolt or
the SDK — and the bot carries on. The envelopes go down the sandbox's real WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.conftest import socket_harness as socket_harness
from tests.security.test_hostile_input import no_crash_logged

ACK_SECONDS = 10.0


def click(h: Harness, **changes: Any) -> dict[str, Any]:
    """A block_actions payload shaped like Slack's, with `changes` applied."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": h.sb.ws.team_id, "domain": h.sb.ws.domain},
        "user": {"id": "U0PETRA", "username": "petra", "team_id": h.sb.ws.team_id},
        "api_app_id": h.app.app_id,
        "token": h.app.verification_token,
        "trigger_id": "1.2.3",
        "channel": {"id": "C0CASUSDEMO", "name": CASE_CHANNEL},
        "container": {"type": "message", "channel_id": "C0CASUSDEMO", "message_ts": "1.1"},
        "actions": [
            {"action_id": "meeting_next", "block_id": "b", "type": "button", "action_ts": "1.2"}
        ],
    }
    payload.update(changes)
    return payload


def envelope(envelope_id: Any, payload: Any, **fields: Any) -> str:
    body = {
        "envelope_id": envelope_id,
        "type": "interactive",
        "payload": payload,
        "accepts_response_payload": True,
        **fields,
    }
    return json.dumps(body)


async def send_raw(h: Harness, raw: str, ack_key: str) -> bool:
    """Send `raw` down the bot's WebSocket; whether an ack for `ack_key` came back."""
    hub = h.sb.socket
    connection = hub.connections[h.app.app_id][0]
    acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    hub.pending[ack_key] = acked
    await connection.send_str(raw)
    try:
        await asyncio.wait_for(acked, ACK_SECONDS)
    except TimeoutError:
        return False
    finally:
        hub.pending.pop(ack_key, None)
    return True


def probes(h: Harness) -> list[tuple[str, str, str]]:
    """(name, raw envelope, the key its ack comes back under)."""
    deep = "[" * 10_000 + "]" * 10_000
    return [
        ("payload is a list", envelope("e01", [1, 2]), "e01"),
        ("payload is a number", envelope("e02", 7), "e02"),
        ("payload is text", envelope("e03", "hallo"), "e03"),
        ("payload is null", envelope("e04", None), "e04"),
        ("envelope id is a number", envelope(5, click(h)), "5"),
        ("type is a number", envelope("e06", click(h), type=9), "e06"),
        ("retry_attempt is text", envelope("e07", click(h), retry_attempt="x"), "e07"),
        ("retry_reason is a number", envelope("e08", click(h), retry_reason=5), "e08"),
        (
            "accepts_response_payload is text",
            envelope("e09", click(h), accepts_response_payload="ja"),
            "e09",
        ),
        ("user is a string", envelope("e10", click(h, user="U0PETRA")), "e10"),
        ("actions is null", envelope("e11", click(h, actions=None)), "e11"),
        ("actions hold a number", envelope("e12", click(h, actions=[5])), "e12"),
        ("channel id is a list", envelope("e13", click(h, channel={"id": ["C0CASUSDEMO"]})), "e13"),
        (
            "event is text",
            envelope("e14", {"type": "event_callback", "event": "message"}, type="events_api"),
            "e14",
        ),
        (
            "event user is an object",
            envelope(
                "e15",
                {
                    "type": "event_callback",
                    "event": {"type": "message", "channel": "C0CASUSDEMO", "user": {"id": 1}},
                },
                type="events_api",
            ),
            "e15",
        ),
        (
            "payload nested 100 deep",
            envelope("e16", click(h, state=json.loads("[" * 100 + "]" * 100))),
            "e16",
        ),
        (
            "nested 10,000 deep",
            '{"envelope_id": "e17", "type": "interactive", "payload": ' + deep + "}",
            "e17",
        ),
        ("not JSON", '{"envelope_id": "e18", "type": "interactive", "payload": {oops', "e18"),
        ("huge array", envelope("e19", click(h, extra=[0] * 200_000)), "e19"),
    ]


async def test_malformed_envelopes_are_acked_and_logged_and_the_bot_carries_on(
    socket_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = socket_harness
    caplog.set_level(logging.WARNING)
    unacked = []
    for name, raw, key in probes(h):
        if not await send_raw(h, raw, key):
            unacked.append(name)
    assert unacked == []
    refused = [r for r in caplog.records if "malformed envelope" in r.getMessage()]
    # All but the huge array, which is a well-formed click with an extra field: Bolt gets it,
    # and the listener acks it (and finds nothing to do).
    assert len(refused) == len(probes(h)) - 1
    # Nothing raised inside the SDK or Bolt ("Failed to run a message listener", ...).
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    no_crash_logged(caplog)
    # The connection is still up and the bot still answers.
    petra = h.sb.user("petra")
    await petra.slash("/casus", "help", channel=CASE_CHANNEL)
    await h.settle()
    assert "Casusbot" in str(petra.ephemerals(CASE_CHANNEL)[-1])
    assert h.sb.delivery_errors == []
