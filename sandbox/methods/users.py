"""users.info and users.list."""

from __future__ import annotations

from typing import Any

from ..web_api import Call, method
from .common import page, user_arg


@method("users.info")
async def users_info(call: Call) -> dict[str, Any]:
    user = user_arg(call)
    return {"user": user.to_slack(call.sb.ws.team_id, include_locale=call.flag("include_locale"))}


@method("users.list")
async def users_list(call: Call) -> dict[str, Any]:
    ws = call.sb.ws
    members = [u.to_slack(ws.team_id, include_locale=call.flag("include_locale"))
               for u in ws.users.values()]
    chunk, meta = page(call, members, default_limit=200)
    meta.pop("has_more")
    return {"members": chunk, "cache_ts": 0, **meta}
