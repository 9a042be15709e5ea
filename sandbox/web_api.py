"""The Web API front door: argument parsing, tokens, latency, rate limits, injected faults,
scope headers, the call log, dispatch.

The methods themselves live in `sandbox.methods.*` and register here with `@method(...)`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .blockkit import BlockKitError
from .faults import Fault
from .workspace import App

if TYPE_CHECKING:
    from .sandbox import Sandbox


# Where aiohttp handlers find the running Sandbox.
SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")


class ApiError(Exception):
    """A failed call: Slack's `{"ok": false, "error": ...}` plus any extra fields."""

    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra

    @classmethod
    def invalid_arguments(cls, *messages: str) -> ApiError:
        return cls("invalid_arguments",
                   response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


@dataclass
class ApiCall:
    """One entry of `Sandbox.api_calls`: what the bot asked and what it got."""

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    response: dict[str, Any] = field(repr=False)
    app_id: str | None = None
    fault: str | None = None  # the injected fault's kind ("timeout+effect": it took effect)


@dataclass
class Call:
    sb: Sandbox
    method: str
    app: App
    args: dict[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name, default)
        return default if value == "" else value

    def require(self, name: str, error: str | None = None) -> Any:
        value = self.get(name)
        if value is None:
            if error:
                raise ApiError(error)
            raise ApiError.invalid_arguments(f"missing required field: {name}")
        return value

    def flag(self, name: str) -> bool:
        return str(self.args.get(name, "")).lower() in ("1", "true")

    def need_scope(self, *any_of: str) -> None:
        """Slack's missing_scope, for apps installed with a scope list (e.g. from a manifest)."""
        scopes = self.app.scopes
        if scopes is None or not any_of or any(s in scopes for s in any_of):
            return
        raise ApiError("missing_scope", needed=",".join(any_of),
                       provided=",".join(sorted(scopes)))

    def json_arg(self, name: str) -> Any:
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ApiError.invalid_arguments(f"{name} is not valid JSON") from exc
        return value


# Bot scopes a method needs (any one of them). Methods on a conversation need a scope per
# kind of conversation; those are in CHANNEL_SCOPES, checked once the channel is known.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",), "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",), "chat.postEphemeral": ("chat:write",),
    "conversations.join": ("channels:join",), "conversations.open": ("im:write",),
    "conversations.create": ("channels:manage", "groups:write"),
    "users.info": ("users:read",), "users.list": ("users:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",), "files.info": ("files:read",),
    "files.delete": ("files:write",),
    "conversations.canvases.create": ("canvases:write",), "canvases.edit": ("canvases:write",),
    "canvases.delete": ("canvases:write",),
    "pins.add": ("pins:write",), "pins.remove": ("pins:write",), "pins.list": ("pins:read",),
}
# method -> scope for a public channel, a private channel, a DM
CHANNEL_SCOPES: dict[str, tuple[str, str, str]] = {
    "conversations.info": ("channels:read", "groups:read", "im:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read"),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.invite": ("channels:manage", "groups:write", "im:write"),
    "conversations.kick": ("channels:manage", "groups:write", "im:write"),
}

# Every bot scope the stand-in checks: what an app installed without a scope list holds.
ALL_BOT_SCOPES: list[str] = sorted(
    {s for scopes in METHOD_SCOPES.values() for s in scopes}
    | {s for scopes in CHANNEL_SCOPES.values() for s in scopes}
    | {"app_mentions:read", "commands", "groups:write", "channels:manage", "im:write"})
HOLD_POLL_S = 0.05

Handler = Callable[[Call], Awaitable[dict[str, Any]]]
METHODS: dict[str, tuple[Handler, str]] = {}


def method(name: str, token: str = "bot") -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = (fn, token)
        return fn
    return register


# Calls per minute, after Slack's tiers (1: 1, 2: 20, 3: 50, 4: 100). chat.postMessage is
# "one per second per channel" in Slack; we count it per channel.
RATE_LIMITS: dict[str, int] = {
    "apps.connections.open": 1, "auth.test": 100,
    "chat.postMessage": 60, "chat.update": 50, "chat.delete": 50, "chat.postEphemeral": 100,
    "chat.getPermalink": 100, "conversations.info": 50, "conversations.create": 20,
    "conversations.invite": 50, "conversations.kick": 50, "conversations.members": 100,
    "conversations.history": 50, "conversations.replies": 50, "conversations.open": 50,
    "users.info": 100, "users.list": 20, "views.open": 100, "views.update": 100,
    "views.push": 100, "views.publish": 100, "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100, "files.info": 100, "files.delete": 50,
    "conversations.canvases.create": 20, "canvases.edit": 50, "canvases.delete": 50,
    "pins.add": 20, "pins.remove": 20, "pins.list": 20,
}  # fmt: skip


class RateLimiter:
    def __init__(self, overrides: dict[str, int] | None = None):
        self.limits = {**RATE_LIMITS, **(overrides or {})}
        self.calls: dict[tuple[str, ...], deque[float]] = defaultdict(deque)

    def retry_after(self, app_id: str, method_name: str, args: dict[str, Any]) -> int | None:
        """Seconds to wait when this call is over the limit, else None (and the call counts)."""
        limit = self.limits.get(method_name, 100)
        key = (app_id, method_name, str(args.get("channel", "")) if method_name.startswith(
            "chat.post") else "")
        window, now = self.calls[key], time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + 60 - now))
        window.append(now)
        return None


async def read_args(request: web.Request) -> dict[str, Any]:
    """Arguments from the query string, a form body or a JSON body (the sdk uses all three)."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    token = args.pop("token", None)
    if token:
        return str(token)
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    return auth.removeprefix("Bearer ").strip() or None


def _find_app(sb: Sandbox, token: str) -> tuple[App, str] | None:
    for app in sb.ws.apps.values():
        if token == app.bot_token:
            return app, "bot"
        if token == app.app_token:
            return app, "app"
    return None


def _authorize(sb: Sandbox, name: str, token: str | None) -> tuple[Handler, App]:
    if name not in METHODS:
        raise ApiError("unknown_method", req_method=name)
    handler, wanted = METHODS[name]
    if token is None:
        raise ApiError("not_authed")
    found = _find_app(sb, token)
    if found is None:
        raise ApiError("invalid_auth")
    app, kind = found
    if kind != wanted:
        raise ApiError("not_allowed_token_type")
    return handler, app


def scope_headers(app: App, name: str) -> dict[str, str]:
    """Slack names the token's scopes and the method's scopes on every answer to a valid token."""
    granted = sorted(app.scopes) if app.scopes is not None else ALL_BOT_SCOPES
    accepted = METHOD_SCOPES.get(name) or CHANNEL_SCOPES.get(name) or ()
    return {"X-OAuth-Scopes": ",".join(granted), "X-Accepted-OAuth-Scopes": ",".join(accepted)}


async def _hold(sb: Sandbox, request: web.Request, seconds: float | None) -> bool:
    """Hang the request; True if the client still waits when `seconds` are up. Ends early when
    the client gives up or the sandbox stops, so a hung call never outlives either."""
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    while True:
        transport = request.transport
        if transport is None or transport.is_closing() or sb.closing.is_set():
            return False
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            return True
        await asyncio.sleep(HOLD_POLL_S if left is None else min(HOLD_POLL_S, left))


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer: the client sees a disconnect."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=504)


async def _run(call: Call, handler: Handler) -> dict[str, Any]:
    """The method itself: Slack's success body, or its error body."""
    try:
        call.need_scope(*METHOD_SCOPES.get(call.method, ()))
        return {"ok": True, **await handler(call)}
    except ApiError as exc:
        return {"ok": False, "error": exc.error, **exc.extra}
    except BlockKitError as exc:
        return {"ok": False, "error": exc.error, "errors": exc.messages,
                "response_metadata": {"messages": exc.messages}}


async def _time_out(request: web.Request, call: Call, handler: Handler, fault: Fault,
                    headers: dict[str, str]) -> web.Response:
    """A `timeout` fault: the call takes effect before the hang (after_effect) or after it (a
    slow Slack; not at all when the client gave up meanwhile); after the hang the answer is
    sent, or the connection is dropped (`drop`, or a client that stopped waiting)."""
    sb = call.sb
    body = await _run(call, handler) if fault.after_effect else None
    waiting = await _hold(sb, request, fault.hold)
    if body is None and waiting and not fault.drop:
        body = await _run(call, handler)
    answered = waiting and not fault.drop
    label = "timeout+effect" if body is not None and (fault.after_effect or not answered) else (
        "timeout")
    if body is not None and answered:
        sb.api_calls.append(ApiCall(call.method, call.args, body["ok"], body.get("error"), body,
                                    call.app.app_id, label))
        return web.json_response(body, headers=headers)
    sb.api_calls.append(ApiCall(call.method, call.args, False, "timeout", body or {},
                                call.app.app_id, label))
    return _drop(request)


async def handle(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    name = request.match_info["method"]
    with sb.activity.busy("web_api"):
        if sb.latency > 0:
            await asyncio.sleep(sb.latency)  # per request, so slow calls still overlap
        args = await read_args(request)
        token = _token(request, args)
        app_id: str | None = None
        fault: Fault | None = None
        status, headers = 200, {}
        try:
            handler, app = _authorize(sb, name, token)
            app_id = app.app_id
            headers = scope_headers(app, name)
            if sb.rate_limiter is not None:
                wait = sb.rate_limiter.retry_after(app.app_id, name, args)
                if wait is not None:
                    status, headers["Retry-After"] = 429, str(wait)
                    raise ApiError("ratelimited")
            fault = sb.faults.take(name)
            if fault is not None and fault.kind == "timeout":
                return await _time_out(request, Call(sb, name, app, args), handler, fault,
                                       headers)
            if fault is not None:
                status = fault.status
                if fault.kind == "ratelimited":
                    headers["Retry-After"] = str(fault.retry_after)
                elif status >= 500:
                    headers = {}  # Slack's edge answers these, not the API behind it
                raise ApiError(fault.error)
            body = await _run(Call(sb, name, app, args), handler)
        except ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        sb.api_calls.append(ApiCall(name, args, body["ok"], body.get("error"), body, app_id,
                                    fault.kind if fault is not None else None))
        return web.json_response(body, status=status, headers=headers)
