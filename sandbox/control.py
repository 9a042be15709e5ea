"""Control API at /_sandbox/: the test-user API over HTTP, for a sandbox in its own process.

    GET  /_sandbox/                              workspace, channels, apps
    GET  /_sandbox/channels/{channel}/messages   ?thread_ts=... for a thread's replies
    GET  /_sandbox/users/{user}                  what the user sees: ephemerals, dms, modal, home
    POST /_sandbox/users/{user}/{action}         JSON keyword arguments of SandboxUser.<action>
    POST /_sandbox/settle                        wait until the bot is idle
    GET  /_sandbox/settings                      {"latency": s, "canvases": "on"|...}
    POST /_sandbox/settings                      change them (JSON, keys as above)
    GET  /_sandbox/faults                        pending faults and how many were served
    POST /_sandbox/faults                        add one (JSON: Faults.add's arguments), or
                                                 {"random": {"probability": p, ...}}
    DELETE /_sandbox/faults                      clear every fault and any storm
    POST /_sandbox/apps/{app}/scopes             {"revoke": [...], "grant": [...]}
    POST /_sandbox/channels/{channel}/kick       {"user": "casusbot"}: removed from the channel
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .activity import SettleTimeout
from .blockkit import BlockKitError
from .delivery import DeliveryError
from .elements import ElementError
from .users import InputRejected
from .web_api import SANDBOX
from .workspace import App

if TYPE_CHECKING:
    from .sandbox import Sandbox

# Only these SandboxUser methods are reachable, with JSON-friendly arguments.
ACTIONS = {"slash", "post", "post_dm", "edit", "delete", "click", "select", "submit",
           "close_modal", "open_home", "invite", "upload"}


async def overview(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    ws = sb.ws
    return web.json_response({
        "team": {"id": ws.team_id, "name": ws.name, "domain": ws.domain},
        "api_url": sb.api_url,
        "users": [{"id": u.id, "handle": u.handle, "real_name": u.real_name, "title": u.title,
                   "locale": u.locale, "is_bot": u.is_bot} for u in ws.users.values()],
        "channels": [{"id": c.id, "name": c.name, "is_private": c.is_private, "is_im": c.is_im,
                      "members": sorted(c.members)} for c in ws.channels.values()],
        "apps": [{"app_id": a.app_id, "name": a.name, "bot_user_id": a.bot_user_id,
                  "socket_connected": sb.socket.is_connected(a)} for a in ws.apps.values()],
    })


async def channel_messages(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        messages = sb.messages(request.match_info["channel"], request.query.get("thread_ts"))
    except LookupError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=404)
    return web.json_response({"ok": True, "messages": messages})


async def user_view(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        user = sb.user(request.match_info["user"])
    except LookupError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=404)
    seen: dict[str, Any] = {"ok": True, "user": user.id, "ephemerals": user.ephemerals(),
                            "modal_stack": user.modal_stack}
    if len(sb.ws.apps) == 1:
        seen.update(dms=user.dms(), home=user.home)
    return web.json_response(seen)


async def act(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    # Only JSON: a web page elsewhere can post a form cross-site, but not application/json
    # without a CORS preflight, which we never answer — so no site can act as these people.
    if request.can_read_body and request.content_type != "application/json":
        return web.json_response({"ok": False, "error": "send JSON"}, status=415)
    action = request.match_info["action"]
    if action not in ACTIONS:
        return web.json_response({"ok": False, "error": f"unknown action {action}"}, status=404)
    try:
        user = sb.user(request.match_info["user"])
        kwargs = await request.json() if request.can_read_body else {}
        if isinstance(kwargs.get("message"), list):
            kwargs["message"] = tuple(kwargs["message"])  # [channel, ts] in JSON
        result = await getattr(user, action)(**kwargs)
    except (LookupError, PermissionError, InputRejected, ElementError, DeliveryError,
            BlockKitError, TypeError, ValueError) as exc:
        return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"},
                                 status=400)
    return web.json_response({"ok": True, "result": result})


async def settle(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        await sb.settle(float(request.query.get("max_wait", "5")))
    except SettleTimeout as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=504)
    return web.json_response({"ok": True})


async def _json_body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise ValueError("send JSON (Content-Type: application/json)")
    try:
        return await request.json()
    except ValueError as exc:
        raise ValueError("invalid JSON") from exc


def _bad(exc: Exception, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": str(exc)}, status=status)


async def get_settings(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, **request.app[SANDBOX].settings()})


async def post_settings(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) - {"latency", "canvases"}:
            raise ValueError('settings are {"latency": seconds, "canvases": "on"|"team_tier"|'
                             '"disabled"}')
        latency = body.get("latency")
        current = sb.settings(latency=float(latency) if latency is not None else None,
                              canvases=body.get("canvases"))
    except (TypeError, ValueError) as exc:
        return _bad(exc)
    return web.json_response({"ok": True, **current})


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, **request.app[SANDBOX].faults.describe()})


async def post_faults(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        described = sb.faults.add_json(await _json_body(request))
    except (TypeError, ValueError) as exc:
        return _bad(exc)
    return web.json_response({"ok": True, **described})


async def delete_faults(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    sb.faults.clear()
    return web.json_response({"ok": True, **sb.faults.describe()})


def _find_app(sb: Sandbox, key: str) -> App:
    for app in sb.ws.apps.values():
        handle = sb.ws.users[app.bot_user_id].handle
        if key in (app.app_id, app.bot_user_id, handle) or key.lower() == app.name.lower():
            return app
    raise LookupError(f"no app {key!r}")


async def post_scopes(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        app = _find_app(sb, request.match_info["app"])
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) - {"revoke", "grant"}:
            raise ValueError('send {"revoke": [scopes], "grant": [scopes]}')
        held = sb.grant_scopes(*body.get("grant", ()), app=app)
        held = sb.revoke_scopes(*body.get("revoke", ()), app=app) if body.get("revoke") else held
    except LookupError as exc:
        return _bad(exc, 404)
    except (TypeError, ValueError) as exc:
        return _bad(exc)
    return web.json_response({"ok": True, "scopes": sorted(held)})


async def post_kick(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    try:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("user"), str):
            raise ValueError('send {"user": "handle or id"}')
        sb.kick(request.match_info["channel"], body["user"])
        members = sorted(sb.channel(request.match_info["channel"]).members)
    except LookupError as exc:
        return _bad(exc, 404)
    except (TypeError, ValueError) as exc:
        return _bad(exc)
    return web.json_response({"ok": True, "members": members})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_sandbox/", overview)
    app.router.add_get("/_sandbox/channels/{channel}/messages", channel_messages)
    app.router.add_get("/_sandbox/users/{user}", user_view)
    app.router.add_post("/_sandbox/users/{user}/{action}", act)
    app.router.add_post("/_sandbox/settle", settle)
    app.router.add_get("/_sandbox/settings", get_settings)
    app.router.add_post("/_sandbox/settings", post_settings)
    app.router.add_get("/_sandbox/faults", get_faults)
    app.router.add_post("/_sandbox/faults", post_faults)
    app.router.add_delete("/_sandbox/faults", delete_faults)
    app.router.add_post("/_sandbox/apps/{app}/scopes", post_scopes)
    app.router.add_post("/_sandbox/channels/{channel}/kick", post_kick)
