"""aiohttp wiring: which path serves what."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import control, methods, web_api
from . import web as ui
from .methods import files

if TYPE_CHECKING:
    from .sandbox import Sandbox

assert methods  # imported for its side effect: registering every Web API method


async def _download(request: web.Request) -> web.Response:
    """url_private: like Slack, only with a bot token in the Authorization header."""
    sb = request.app[web_api.SANDBOX]
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not any(token == a.bot_token for a in sb.ws.apps.values()):
        return web.Response(status=403, text="not_authed")
    stored = sb.ws.files.get(request.match_info["file_id"])
    if stored is None or stored.content is None:
        return web.Response(status=404, text="file_not_found")
    return web.Response(body=stored.content, content_type="application/octet-stream")


async def _index(request: web.Request) -> web.Response:
    sb = request.app[web_api.SANDBOX]
    if "text/html" in request.headers.get("Accept", ""):
        raise web.HTTPFound("/ui/")  # a person with a browser wants the chat page
    return web.json_response({
        "sandbox": True, "team": sb.ws.name, "team_id": sb.ws.team_id, "api_url": sb.api_url,
        "apps": [{"name": a.name, "app_id": a.app_id, "bot_user_id": a.bot_user_id}
                 for a in sb.ws.apps.values()],
    })


def build_app(sb: Sandbox) -> web.Application:
    app = web.Application(client_max_size=64 * 1024**2)
    app[web_api.SANDBOX] = sb
    app.router.add_route("*", "/api/{method}", web_api.handle)
    app.router.add_post("/response/{app_id}/{key}", sb.response_urls.handle)
    app.router.add_post("/upload/v1/{file_id}", files.upload)
    app.router.add_get("/link/", sb.socket.handle)
    app.router.add_get("/files/{file_id}/{name}", _download)
    app.router.add_get("/", _index)
    control.add_routes(app)
    ui.add_routes(app)
    return app
