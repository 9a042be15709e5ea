"""The browser UI's HTTP side, under /ui/.

    GET  /ui/                  the page (static HTML, CSS and plain JS from ./static)
    GET  /ui/api/state         ?user=&channel=&thread= : what that person sees (JSON)
    GET  /ui/api/events        server-sent events: the workspace changed, fetch again
    POST /ui/api/act           {"user", "action", "args"}: act as that person; a form Slack's
                               client would refuse answers `field_errors` in their language
    GET  /ui/files/{file_id}   an uploaded file, for the page to show or download

Every action goes through `SandboxUser`, so the bot receives exactly what Slack would send.
These endpoints let anyone who can reach them act as anyone: that is the point of a local
training tool, and why the sandbox binds the loopback interface only. On top of that, the
Host header must name the loopback (no DNS rebinding) and actions need a JSON content type
(a cross-site form post cannot send one without a CORS preflight, which we never answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from pathlib import Path
from typing import Any

from aiohttp import web

from ..activity import SettleTimeout
from ..blockkit import BlockKitError
from ..control import ACTIONS
from ..delivery import DeliveryError
from ..elements import ElementError
from ..users import InputRejected
from ..web_api import SANDBOX
from .refusals import field_errors
from .snapshot import fingerprint, snapshot

STATIC = Path(__file__).parent / "static"
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
CLOSING = web.AppKey("ui_closing", asyncio.Event)
# What a person can get wrong (or the bot can fail at) and should read as a message, not a 500.
EXPECTED = (
    LookupError,
    PermissionError,
    InputRejected,
    ElementError,
    DeliveryError,
    BlockKitError,
    SettleTimeout,
    TypeError,
    ValueError,
)
# Modest browser hardening: the page loads only its own files, so nothing leaves the machine
# even when the bot sends an image with an outside URL.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
KEEPALIVE_S = 5.0
POLL_S = 0.15


def _local_only(request: web.Request) -> None:
    if request.url.host not in LOOPBACK:
        raise web.HTTPForbidden(text="the sandbox UI answers on the loopback address only")


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def page(request: web.Request) -> web.StreamResponse:
    _local_only(request)
    return web.FileResponse(
        STATIC / "index.html",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


async def static(request: web.Request) -> web.StreamResponse:
    _local_only(request)
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "no-store"})


async def state(request: web.Request) -> web.Response:
    _local_only(request)
    sb = request.app[SANDBOX]
    try:
        seen = snapshot(
            sb,
            request.query.get("user", ""),
            request.query.get("channel") or None,
            request.query.get("thread") or None,
        )
    except LookupError as exc:
        return _error(str(exc), 404)
    return web.json_response({"ok": True, **seen}, headers={"Cache-Control": "no-store"})


def _arguments(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError("args must be an object")
    args = dict(raw)
    if isinstance(args.get("message"), list):
        args["message"] = tuple(args["message"])  # [channel, ts] in JSON
    return args


async def act(request: web.Request) -> web.Response:
    _local_only(request)
    if request.content_type != "application/json":
        return _error("send JSON (Content-Type: application/json)", 415)
    sb = request.app[SANDBOX]
    try:
        body = await request.json()
    except ValueError:
        return _error("invalid JSON")
    action = body.get("action") if isinstance(body, dict) else None
    if action not in ACTIONS:
        return _error(f"unknown action {action!r}", 404)
    try:
        person = sb.user(str(body.get("user") or ""))
        result = await getattr(person, action)(**_arguments(body.get("args") or {}))
    except InputRejected as exc:
        # Slack's client explains these under the fields; so does the page, in their language.
        notes = field_errors(exc.refusals, person.user.locale)
        return web.json_response({"ok": False, "error": str(exc), "field_errors": notes},
                                 status=400)
    except EXPECTED as exc:
        return _error(f"{type(exc).__name__}: {exc}")
    return web.json_response({"ok": True, "result": result})


async def download(request: web.Request) -> web.StreamResponse:
    _local_only(request)
    sb = request.app[SANDBOX]
    stored = sb.ws.files.get(request.match_info["file_id"])
    if stored is None or stored.content is None:
        raise web.HTTPNotFound(text="file_not_found")
    kind = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    # Only images are shown inline; anything else (HTML included) is a download, so a file
    # the bot uploads can never run script in the page's origin.
    inline = kind.startswith("image/") and kind != "image/svg+xml"
    return web.Response(
        body=stored.content,
        content_type=kind if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f"{'inline' if inline else 'attachment'}; "
            f'filename="{stored.name.replace(chr(34), "")}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `data:` line with the new fingerprint whenever it changes.

    The page then fetches its state again; it never trusts the event for content, so a lost
    event costs nothing but a moment (EventSource reconnects on its own).
    """
    _local_only(request)
    sb = request.app[SANDBOX]
    closing = request.app[CLOSING]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    last, quiet_since = "", loop.time()
    try:
        while not closing.is_set():
            now = fingerprint(sb)
            if now != last:
                await response.write(f"data: {now}\n\n".encode())
                last, quiet_since = now, loop.time()
            elif loop.time() - quiet_since > KEEPALIVE_S:
                # A comment line: finds a closed tab (write fails) and keeps proxies awake.
                await response.write(b": still here\n\n")
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), POLL_S)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def _stop_streams(app: web.Application) -> None:
    # Ends open event streams at shutdown; otherwise a browser tab left open would hold the
    # server's cleanup for its whole grace period.
    app[CLOSING].set()


async def _redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/ui/")


def add_routes(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/ui", _redirect)
    app.router.add_get("/ui/", page)
    app.router.add_get("/ui/static/{name}", static)
    app.router.add_get("/ui/api/state", state)
    app.router.add_get("/ui/api/events", events)
    app.router.add_post("/ui/api/act", act)
    app.router.add_get("/ui/files/{file_id}", download)
