"""Control API at /_sandbox/: the test-user API over HTTP, for a sandbox in its own process.

    GET  /_sandbox/                              workspace, channels, apps
    GET  /_sandbox/channels/{channel}/messages   ?thread_ts=... for a thread's replies
    GET  /_sandbox/users/{user}                  what the user sees: ephemerals, dms, modal, home
    POST /_sandbox/users/{user}/{action}         JSON keyword arguments of SandboxUser.<action>
    POST /_sandbox/settle                        wait until the bot is idle
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .activity import SettleTimeout
from .blockkit import BlockKitError
from .delivery import DeliveryError
from .elements import ElementError
from .users import InputRejected
from .web_api import SANDBOX

# Only these SandboxUser methods are reachable, with JSON-friendly arguments.
ACTIONS = {"slash", "post", "post_dm", "edit", "delete", "click", "select", "submit",
           "close_modal", "open_home", "invite"}


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


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_sandbox/", overview)
    app.router.add_get("/_sandbox/channels/{channel}/messages", channel_messages)
    app.router.add_get("/_sandbox/users/{user}", user_view)
    app.router.add_post("/_sandbox/users/{user}/{action}", act)
    app.router.add_post("/_sandbox/settle", settle)
