"""auth.test and apps.connections.open (the latter takes the xapp- app-level token)."""

from __future__ import annotations

from typing import Any

from ..web_api import Call, method


@method("auth.test")
async def auth_test(call: Call) -> dict[str, Any]:
    ws, app = call.sb.ws, call.app
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.name,
        "user": ws.users[app.bot_user_id].handle,
        "team_id": ws.team_id,
        "user_id": app.bot_user_id,
        "bot_id": app.bot_id,
        "app_id": app.app_id,
        "is_enterprise_install": False,
    }


@method("apps.connections.open", token="app")
async def connections_open(call: Call) -> dict[str, Any]:
    return {"url": call.sb.socket.open_url(call.app)}
