"""The HTTP edge: only verified, well-formed requests reach Bolt (DESIGN §6).

Bolt parses a request's body before it checks the signature, and its parsing (and ours after
it) assumes Slack's shapes: `{"user": "x"}` or a non-numeric timestamp header made it raise,
which came out as a 500 — or, caught by the app's error handler, as a reply to whichever user
an unverified body named. So the signature is checked here first (401), then the body's shape
(400), and only then is a Bolt request built.

Socket Mode envelopes arrive over a connection the app opened itself, so they need no
signature, but they get the same shape checks (`GuardedSocketModeHandler`): an envelope Bolt
would choke on is acked and logged instead, because an envelope that is never acked is
delivered again and again by Slack and fails the same way each time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("casusbot")

# Slack's deepest payloads (rich text inside a modal's state) nest about a dozen levels.
MAX_DEPTH = 64

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
# Slack's ids (U…, W…, C…, G…, D…, T…, E…, Ev…) are letters and digits; message timestamps
# are seconds.micros. Checked where they are stored (as keys of limited length) or answered to.
_SLACK_ID = re.compile(r"^[A-Z0-9]{1,64}$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
_TS = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,8})?$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")

# Top-level fields Bolt and the listeners read, with the types Slack sends.
_OBJECTS = (
    "user",
    "team",
    "channel",
    "container",
    "view",
    "message",
    "previous_message",
    "state",
    "event",
    "item",
    "assistant_thread",
    "function_data",
    "workflow_step",
)
# Bolt indexes these once it sees the key, so `null` breaks it (Slack sends `null` only for
# the others, such as enterprise and team).
_NEVER_NULL = (
    "event",
    "actions",
    "view",
    "state",
    "container",
    "message",
    "previous_message",
    "authorizations",
    "response_urls",
    "item",
    "assistant_thread",
    "function_data",
    "workflow_step",
)
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
    "thread_ts",
    "function_execution_id",
    "bot_access_token",
)
# Fields one level down that Bolt and the listeners read as ids or text, objects and lists.
_INNER_STRINGS = {
    "user": ("id", "team_id", "name", "username"),
    "team": ("id", "domain", "enterprise_id"),
    "channel": ("id", "name"),
    "container": ("type", "channel_id", "message_ts", "thread_ts", "view_id"),
    "message": ("ts", "thread_ts", "text", "user", "bot_id", "type", "subtype"),
    "view": (
        "id",
        "type",
        "callback_id",
        "private_metadata",
        "hash",
        "team_id",
        "app_id",
        "app_installed_team_id",
        "external_id",
        "root_view_id",
        "previous_view_id",
    ),
}
_INNER_OBJECTS = {"view": ("state",), "message": ("metadata",), "state": ("values",)}
_INNER_LISTS = {"view": ("blocks",), "message": ("blocks",)}
_ACTION_STRINGS = ("action_id", "block_id", "type", "action_ts")
_INTERACTIVE = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)
_COMMAND_FIELDS = ("command", "user_id", "channel_id", "trigger_id", "response_url")
# Inside a message event: what bot.listeners.thread reads (other events may differ).
_EVENT_STRINGS = (
    "type",
    "subtype",
    "user",
    "text",
    "ts",
    "thread_ts",
    "event_ts",
    "bot_id",
    "channel_type",
    "user_team",
    "team",
)
_EVENT_OBJECTS = ("message", "previous_message", "edited")
_EVENT_LISTS = ("files", "blocks")


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
    except (ValueError, RecursionError):  # json.JSONDecodeError included; RecursionError: nesting
        return refusal(400, "malformed body")
    problem = shape_problem(payload)
    if problem is not None:
        log.warning("refused a signed request with a malformed body: %s", problem)
        return refusal(400, f"malformed body: {problem}")
    try:
        return parsed_request(body, payload, request.query_string, request.headers)
    except Exception as error:  # Bolt's own reading of a shape we did not foresee
        log.warning("refused a signed request Bolt could not read: %s", type(error).__name__)
        return refusal(400, "malformed body")


def parsed_request(
    raw: str, payload: dict[str, Any], query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest:
    """The Bolt request of a body parsed here already: given the raw text, Bolt would parse
    it a second time (an interaction's body is the whole message, URL-encoded: the largest
    single cost of a click's ack). Bolt takes a parsed body only in Socket Mode; the raw text
    and HTTP mode are put back after, so its own signature check still reads the raw body."""
    bolt_request = AsyncBoltRequest(
        body=payload,
        query=query,
        headers=headers,  # type: ignore[arg-type]
        mode="socket_mode",
    )
    bolt_request.raw_body = raw
    bolt_request.mode = "http"
    return bolt_request


def shape_problem(payload: Any) -> str | None:
    """Why `payload` is not shaped like anything Slack sends (None: it is)."""
    if not isinstance(payload, dict):
        return "not an object"
    if nesting_exceeds(payload, MAX_DEPTH):
        return "nested too deeply"
    for name in _NEVER_NULL:
        if name in payload and payload[name] is None:
            return f"{name} is null"
    problem = _typed(payload, "", objects=_OBJECTS, strings=_STRINGS)
    if problem is not None:
        return problem
    for name in _OBJECTS_OR_ID:
        if payload.get(name) is not None and not isinstance(payload[name], dict | str):
            return f"{name} is not an object"
    for outer, names in _INNER_STRINGS.items():
        inner = payload.get(outer)
        if isinstance(inner, dict):
            problem = _typed(
                inner,
                f"{outer}.",
                objects=_INNER_OBJECTS.get(outer, ()),
                strings=names,
                lists=_INNER_LISTS.get(outer, ()),
            )
            if problem is not None:
                return problem
    state = payload.get("state")
    if isinstance(state, dict):
        problem = _typed(state, "state.", objects=_INNER_OBJECTS["state"], strings=())
        if problem is not None:
            return problem
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
        and all(
            isinstance(a, dict)
            and isinstance(a.get("action_id"), str)
            and _typed(a, "", objects=(), strings=_ACTION_STRINGS) is None
            for a in actions
        )
    ):
        return "actions is not a list of actions"
    for name in ("authorizations", "response_urls"):
        listed = payload.get(name)
        if listed is not None and not (
            isinstance(listed, list) and all(isinstance(a, dict) for a in listed)
        ):
            return f"{name} is not a list of objects"
    # Other types are named by the checks above or in _event_problem.
    for name, value in _ids(payload):
        if isinstance(value, str) and not _SLACK_ID.match(value):
            return f"{name} is not a Slack id"
    for name, value in _timestamps(payload):
        if isinstance(value, str) and not _TS.match(value):
            return f"{name} is not a message timestamp"
    if payload.get("event_id") is not None and not _EVENT_ID.match(payload["event_id"]):
        return "event_id is not an event id"
    if payload.get("type") == "event_callback":
        return _event_problem(payload.get("event"))
    if payload.get("type") in ("view_submission", "view_closed") and not isinstance(
        payload.get("view"), dict
    ):
        return "view is missing"
    return None


def _ids(payload: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The user and channel ids the listeners answer to (types already checked)."""
    found = [(name, payload.get(name)) for name in ("user_id", "channel_id", "team_id")]
    for outer in ("user", "channel", "team"):
        if isinstance(payload.get(outer), dict):
            found.append((f"{outer}.id", payload[outer].get("id")))
    if isinstance(payload.get("container"), dict):
        found.append(("container.channel_id", payload["container"].get("channel_id")))
    return found


def _timestamps(payload: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The message timestamps the listeners store or answer in (types already checked)."""
    found: list[tuple[str, Any]] = [("thread_ts", payload.get("thread_ts"))]
    for outer, names in (
        ("container", ("message_ts", "thread_ts")),
        ("message", ("ts", "thread_ts")),
        ("event", ("ts", "thread_ts", "event_ts")),
    ):
        if isinstance(payload.get(outer), dict):
            found += [(f"{outer}.{name}", payload[outer].get(name)) for name in names]
    for action in payload.get("actions") or []:
        found.append(("actions.action_ts", action.get("action_ts")))
    return found


def _typed(
    fields: Mapping[str, Any],
    prefix: str,
    *,
    objects: tuple[str, ...],
    strings: tuple[str, ...],
    lists: tuple[str, ...] = (),
) -> str | None:
    """The first of the named fields (when present and not null) of the wrong type."""
    for names, kind, label in ((objects, dict, "an object"), (strings, str, "a string")):
        for name in names:
            if fields.get(name) is not None and not isinstance(fields[name], kind):
                return f"{prefix}{name} is not {label}"
    for name in lists:
        if fields.get(name) is not None and not isinstance(fields[name], list):
            return f"{prefix}{name} is not a list"
    return None


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return "event is not an event"
    if event["type"] != "message":
        return None  # other events carry objects in the same fields (user_change's user)
    problem = _typed(
        event, "event.", objects=_EVENT_OBJECTS, strings=_EVENT_STRINGS, lists=_EVENT_LISTS
    )
    if problem is not None:
        return problem
    for name in _EVENT_OBJECTS:
        if isinstance(event.get(name), dict):  # message_changed: the new and the old message
            inner = _typed(event[name], f"event.{name}.", objects=(), strings=_EVENT_STRINGS)
            if inner is not None:
                return inner
    if not isinstance(event.get("channel"), str) or not _SLACK_ID.match(event["channel"]):
        return "event.channel is not a channel id"
    if event.get("user") is not None and not _SLACK_ID.match(event["user"]):
        return "event.user is not a user id"
    return None


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays in `value` nest deeper than `limit` (without recursion, so
    a hostile body cannot exhaust the stack here either). Only objects and arrays are walked:
    a click's body is mostly text, and this runs on every request."""
    containers = (dict, list)
    if not isinstance(value, containers):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend([(child, depth + 1) for child in children if isinstance(child, containers)])
    return False


# ----- Socket Mode -----

_ENVELOPE_ID = re.compile(r'"envelope_id"\s*:\s*"([^"\\]{1,100})"')


def envelope_problem(raw: str) -> tuple[dict[str, Any] | None, Any, str | None]:
    """(the decoded message, its envelope id, why it must not reach Bolt — None: it may).

    Messages without an envelope (hello, disconnect) pass as they are. An envelope that cannot
    be decoded still yields its id when one can be found in the text, so it can be acked.
    """
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        found = _ENVELOPE_ID.search(raw)
        return None, found.group(1) if found else None, "not JSON, or nested too deeply"
    if not isinstance(message, dict):
        return None, None, "not an object"
    envelope_id = message.get("envelope_id")
    if envelope_id is None and "payload" not in message:
        return message, None, None
    if not isinstance(envelope_id, str):
        return message, envelope_id, "envelope_id is not a string"
    if not isinstance(message.get("type"), str):
        return message, envelope_id, "type is not a string"
    optional = {"accepts_response_payload": bool, "retry_attempt": int, "retry_reason": str}
    for name, kind in optional.items():
        value = message.get(name)
        # bool is an int to Python; a retry count of `true` is not a number
        if value is not None and not (
            isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        ):
            return message, envelope_id, f"{name} is not a {kind.__name__}"
    problem = shape_problem(message.get("payload"))
    return message, envelope_id, None if problem is None else f"payload: {problem}"


class GuardedSocketModeClient(SocketModeClient):
    """slack_sdk's aiohttp Socket Mode client, with every envelope decoded and checked before
    the listeners see it: the SDK would raise on it (no ack) or hand it to Bolt, which raises."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._listening: set[asyncio.Future[None]] = set()
        super().__init__(*args, **kwargs)

    async def process_message(self) -> None:
        raw = await self.message_queue.get()
        if raw is None:
            return
        message, envelope_id, problem = envelope_problem(raw)
        if problem is not None:
            await self._refuse(envelope_id, problem)
            return
        if message is None:
            return
        run = asyncio.ensure_future(self.run_message_listeners(message, raw))
        self._listening.add(run)  # referenced until done, so it is not garbage collected
        run.add_done_callback(self._listening.discard)

    async def _refuse(self, envelope_id: Any, problem: str) -> None:
        log.warning("socket mode: acked a malformed envelope without handling it: %s", problem)
        if envelope_id is None:
            return  # nothing to ack it by
        try:
            await self.send_socket_mode_response({"envelope_id": envelope_id})
        except Exception as error:
            log.warning("socket mode: could not ack a malformed envelope: %s", type(error).__name__)


class GuardedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler on the guarded client; an envelope on which Bolt itself
    fails (before any listener runs) is logged with a reference and acked."""

    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        *,
        web_client: AsyncWebClient | None = None,
        ping_interval: float = 10,
    ) -> None:
        # Not super().__init__: that builds the SDK's own client, which starts reading the
        # socket at once.
        self.app = app
        self.app_token = app_token
        self.client = GuardedSocketModeClient(
            app_token=app_token,
            logger=app.logger,
            web_client=web_client or app.client,
            ping_interval=ping_interval,
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            # Bolt annotates the sync client here, but passes (and needs) the async one.
            await super().handle(client, req)  # type: ignore[arg-type]
        except Exception:
            ref = secrets.token_hex(4)
            log.exception(
                "socket mode: Bolt failed on an envelope (ref=%s, type=%s)", ref, req.type
            )
            try:
                await client.send_socket_mode_response({"envelope_id": req.envelope_id})
            except Exception as error:
                log.warning("socket mode: could not ack ref=%s: %s", ref, type(error).__name__)
