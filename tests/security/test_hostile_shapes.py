"""Hostile shapes at the bot's HTTP endpoint (DESIGN §6, issue 17): bodies nested thousands
deep, arrays of hundreds of thousands of items, and a wrong type in every field Bolt or our
listeners read. Every one is signed, so it gets past the signature check: each must get a 2xx or
4xx — never a 500 — leave the database as it was and crash nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import Harness
from tests.security.conftest import FORM, JSON, Attacker, snapshot, thread_reply_event
from tests.security.test_hostile_input import no_crash_logged, running_meeting

WRONG = [7, 1.5, ["a"], {"k": "v"}, None, True, "x" * 300]

# Top-level fields of an interaction that slack_bolt.request.internals or bot.runtime read.
INTERACTION_FIELDS = [
    "type",
    "token",
    "api_app_id",
    "enterprise",
    "team",
    "user",
    "channel",
    "container",
    "message",
    "previous_message",
    "view",
    "state",
    "actions",
    "trigger_id",
    "response_url",
    "response_urls",
    "authorizations",
    "is_enterprise_install",
    "is_ext_shared_channel",
    "enterprise_id",
    "team_id",
    "user_id",
    "channel_id",
    "thread_ts",
    "function_execution_id",
    "function_data",
    "bot_access_token",
    "item",
    "assistant_thread",
    "event",
    "callback_id",
]
# Fields one level down: (outer, inner).
INTERACTION_INNER = [
    ("user", "id"),
    ("user", "team_id"),
    ("team", "id"),
    ("team", "enterprise_id"),
    ("channel", "id"),
    ("container", "channel_id"),
    ("container", "message_ts"),
    ("container", "type"),
    ("message", "ts"),
    ("message", "thread_ts"),
    ("message", "blocks"),
    ("message", "metadata"),
]
# Fields of one action in `actions`.
ACTION_FIELDS = ["action_id", "block_id", "value", "type", "action_ts", "selected_option"]
# Fields of an Events API delivery and of its message event.
EVENT_FIELDS = [
    "team_id",
    "api_app_id",
    "event_id",
    "event_time",
    "authorizations",
    "is_ext_shared_channel",
    "enterprise_id",
    "event_context",
]
MESSAGE_EVENT_FIELDS = [
    "type",
    "subtype",
    "channel",
    "channel_type",
    "user",
    "text",
    "ts",
    "thread_ts",
    "event_ts",
    "bot_id",
    "user_team",
    "team",
    "message",
    "previous_message",
    "edited",
    "files",
    "blocks",
    "hidden",
]


def nested(depth: int, leaf: Any = 1) -> str:
    """A JSON value `depth` arrays deep, as text (json.dumps itself would recurse)."""
    return "[" * depth + json.dumps(leaf) + "]" * depth


def stale_click(attacker: Attacker, question: dict[str, Any]) -> dict[str, Any]:
    """A real click on "next" carrying a version the meeting is long past: any probe built on
    it that still reaches the handler is refused there, so the database must not change."""
    payload = attacker.click_payload("petra", "meeting_next", question)
    value = json.loads(payload["actions"][0]["value"])
    payload["actions"][0]["value"] = json.dumps({**value, "v": value.get("v", 0) + 1000})
    return payload


@dataclass
class Target:
    """A running meeting: the database as it was, a stale click on it and a thread reply."""

    before: dict[str, Any]
    click: dict[str, Any]
    event: dict[str, Any]


@pytest.fixture
async def target(harness: Harness, attacker: Attacker) -> Target:
    thread_ts, question = await running_meeting(harness)
    return Target(
        await snapshot(harness),
        stale_click(attacker, question),
        thread_reply_event(harness, thread_ts, "Ev0SHAPES0001"),
    )


async def unchanged_but(h: Harness, before: dict[str, Any], *tables: str) -> dict[str, Any]:
    """Assert the database is as `before` outside `tables`; the snapshot now, for more checks."""
    await h.settle()
    now = await snapshot(h)
    assert {k: v for k, v in now.items() if k not in tables} == {
        k: v for k, v in before.items() if k not in tables
    }
    return now


async def send_all(attacker: Attacker, bodies: list[tuple[str, str]]) -> Counter[int]:
    statuses: Counter[int] = Counter()
    for body, content_type in bodies:
        response = await attacker.send(body, content_type)
        statuses[response.status] += 1
        assert response.status < 500, (response.status, body[:300])
    return statuses


# ----- nesting -----


@pytest.mark.parametrize("depth", [100, 900, 10_000, 100_000])
async def test_deeply_nested_bodies_get_400_and_change_nothing(
    harness: Harness,
    attacker: Attacker,
    target: Target,
    caplog: pytest.LogCaptureFixture,
    depth: int,
) -> None:
    click, event = target.click, target.event
    deep = nested(depth)
    bodies = [
        # As an Events API body, and deep inside an otherwise real event.
        (deep, JSON),
        (json.dumps(event)[:-1] + f', "extra": {deep}}}', JSON),
        # As an interaction's payload, and deep inside a real click.
        (urlencode({"payload": deep}), FORM),
        (urlencode({"payload": json.dumps(click)[:-1] + f', "state": {deep}}}'}), FORM),
        # Objects rather than arrays.
        ('{"a":' * depth + "1" + "}" * depth, JSON),
    ]
    statuses = await send_all(attacker, bodies)
    await harness.settle()
    assert set(statuses) == {400}, statuses
    assert await snapshot(harness) == target.before
    no_crash_logged(caplog)


# ----- size -----


async def test_huge_arrays_are_answered_without_a_500_and_change_nothing(
    harness: Harness, attacker: Attacker, target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    click, event, before = target.click, target.event, target.before
    many = 400_000  # about 800 KB of "0," — just under the 1 MiB body limit
    zeros = "[" + ",".join(["0"] * many) + "]"
    bodies = [
        (zeros, JSON),
        (json.dumps({**event, "authorizations": [{}] * 60_000}), JSON),
        (json.dumps(event)[:-1] + f', "blocks": {zeros}}}', JSON),
        (urlencode({"payload": json.dumps({**click, "actions": click["actions"] * 5_000})}), FORM),
        (urlencode({"payload": json.dumps(click)[:-1] + f', "extra": {zeros}}}'}), FORM),
    ]
    await send_all(attacker, bodies)
    # The event with a huge extra field is otherwise a real thread reply: stored, once.
    after = await unchanged_but(harness, before, "contribution", "processed_delivery")
    assert after["contribution"] <= 1 and after["processed_delivery"] <= 1
    no_crash_logged(caplog)


# ----- a wrong type in every field read -----


async def test_a_wrong_type_in_any_field_of_a_click_never_crashes(
    harness: Harness, attacker: Attacker, target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    click, before = target.click, target.before
    probes: list[dict[str, Any]] = []
    for wrong in WRONG:
        for name in INTERACTION_FIELDS:
            probes.append({**click, name: wrong})
        for outer, inner in INTERACTION_INNER:
            probes.append({**click, outer: {**(click.get(outer) or {}), inner: wrong}})
        for name in ACTION_FIELDS:
            probes.append({**click, "actions": [{**click["actions"][0], name: wrong}]})
    bodies = [(urlencode({"payload": json.dumps(probe)}), FORM) for probe in probes]
    statuses = await send_all(attacker, bodies)
    assert sum(statuses.values()) == len(probes) > 300
    # Refused clicks may be audited (who tried what); nothing else may change.
    after = await unchanged_but(harness, before, "audit_event")
    assert after["audit_event"] >= before["audit_event"]
    no_crash_logged(caplog)


async def test_a_wrong_type_in_any_field_of_an_event_never_crashes(
    harness: Harness, attacker: Attacker, target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    event, before = target.event, target.before
    probes: list[dict[str, Any]] = []
    for n, wrong in enumerate(WRONG):
        for name in EVENT_FIELDS:
            probes.append({**event, name: wrong})
        for i, name in enumerate(MESSAGE_EVENT_FIELDS):
            probe = {**event, "event": {**event["event"], name: wrong}}
            # Each probe is a new delivery, so deduplication cannot hide a crash.
            probes.append({**probe, "event_id": f"Ev0SHAPE{n:02d}{i:02d}"})
    statuses = await send_all(attacker, [(json.dumps(p), JSON) for p in probes])
    assert sum(statuses.values()) == len(probes) > 150
    # A probe whose wrong type sits where the bot does not look is a real thread reply: the
    # reply is stored once (the same message ts every time), deliveries are remembered.
    after = await unchanged_but(
        harness, before, "contribution", "processed_delivery", "audit_event"
    )
    assert after["contribution"] <= 1
    no_crash_logged(caplog)
