"""The HTTP edge: only verified, well-formed requests reach Bolt (DESIGN §6).

Bolt parses a request's body before it checks the signature, and its parsing (and ours after
it) assumes Slack's shapes: `{"user": "x"}` or a non-numeric timestamp header made it raise,
which came out as a 500 — or, caught by the app's error handler, as a reply to whichever user
an unverified body named. So the signature is checked here first (401), then the body's shape
(400), and only then is a Bolt request built. Socket Mode does not pass here: its payloads come
from Slack over a connection the app opened itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("casusbot")

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")

# Top-level fields Bolt and the listeners read, with the types Slack sends.
_OBJECTS = ("user", "team", "channel", "container", "view", "message", "state", "event")
_OBJECTS_OR_ID = ("enterprise",)  # an object, or an id string in some payloads
_STRINGS = (
    "type",
    "token",
    "api_app_id",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "trigger_id",
    "response_url",
    "command",
    "text",
    "event_id",
    "callback_id",
)
_INTERACTIVE = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)
_COMMAND_FIELDS = ("command", "user_id", "channel_id", "trigger_id", "response_url")
# Inside a message event: what bot.listeners.thread reads (other events may differ).
_EVENT_STRINGS = ("type", "subtype", "user", "text", "ts", "thread_ts", "event_ts", "bot_id")
_EVENT_OBJECTS = ("message", "previous_message")


def refusal(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason, content_type="text/plain")


async def verified_request(
    request: web.Request, verifier: SignatureVerifier
) -> AsyncBoltRequest | web.Response:
    """The Bolt request for a verified, well-formed HTTP request; else the 4xx to answer."""
    raw = await request.read()  # over client_max_size: aiohttp answers 413 itself
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return refusal(400, "body is not UTF-8")
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (_TIMESTAMP.match(timestamp) and _SIGNATURE.match(signature)):
        return refusal(401, "invalid signature")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return refusal(401, "invalid signature")
    try:
        payload = parse_body(body, request.headers.get("Content-Type"))
    except ValueError:  # json.JSONDecodeError included
        return refusal(400, "malformed body")
    problem = shape_problem(payload)
    if problem is not None:
        log.warning("refused a signed request with a malformed body: %s", problem)
        return refusal(400, f"malformed body: {problem}")
    return AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]


def shape_problem(payload: Any) -> str | None:
    """Why `payload` is not shaped like anything Slack sends (None: it is)."""
    if not isinstance(payload, dict):
        return "not an object"
    for name in _OBJECTS:
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            return f"{name} is not an object"
    for name in _OBJECTS_OR_ID:
        if payload.get(name) is not None and not isinstance(payload[name], dict | str):
            return f"{name} is not an object"
    for name in _STRINGS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            return f"{name} is not a string"
    if payload.get("type") in _INTERACTIVE and not isinstance(payload.get("user"), dict):
        return "user is missing"  # Slack always says who acted
    if isinstance(payload.get("user"), dict) and not isinstance(payload["user"].get("id"), str):
        return "user.id is not a string"
    if "command" in payload and not all(isinstance(payload.get(f), str) for f in _COMMAND_FIELDS):
        return "slash command without " + "/".join(_COMMAND_FIELDS)
    actions = payload.get("actions")
    if actions is not None and not (
        isinstance(actions, list)
        and actions
        and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    ):
        return "actions is not a list of actions"
    authorizations = payload.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations is not a list of objects"
    if payload.get("type") == "event_callback":
        return _event_problem(payload.get("event"))
    if payload.get("type") in ("view_submission", "view_closed") and not isinstance(
        payload.get("view"), dict
    ):
        return "view is missing"
    return None


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return "event is not an event"
    if event["type"] != "message":
        return None  # other events carry objects in the same fields (user_change's user)
    for name in _EVENT_STRINGS:
        if event.get(name) is not None and not isinstance(event[name], str):
            return f"event.{name} is not a string"
    for name in _EVENT_OBJECTS:
        if event.get(name) is not None and not isinstance(event[name], dict):
            return f"event.{name} is not an object"
    if not isinstance(event.get("channel"), str):
        return "event.channel is not a string"
    return None
