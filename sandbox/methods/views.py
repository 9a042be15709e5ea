"""views.open, views.push, views.update, views.publish."""

from __future__ import annotations

from typing import Any

from .. import modals
from ..blockkit import check_view
from ..web_api import ApiError, Call, method


def _spec(call: Call, *, home: bool = False) -> dict[str, Any]:
    raw = call.get("view")
    if raw is None:
        raise ApiError.invalid_arguments("missing required field: view")
    return check_view(raw, home=home)


@method("views.open")
async def views_open(call: Call) -> dict[str, Any]:
    spec = _spec(call)
    user_id = call.sb.use_trigger(call.get("trigger_id"), call.app)
    return {"view": modals.snapshot(modals.open_modal(call.sb, call.app, user_id, spec))}


@method("views.push")
async def views_push(call: Call) -> dict[str, Any]:
    spec = _spec(call)
    user_id = call.sb.use_trigger(call.get("trigger_id"), call.app)
    return {"view": modals.snapshot(modals.push_modal(call.sb, call.app, user_id, spec))}


@method("views.update")
async def views_update(call: Call) -> dict[str, Any]:
    view_id, external_id = call.get("view_id"), call.get("external_id")
    if not view_id and not external_id:
        raise ApiError.invalid_arguments("one of view_id or external_id is required")
    record = modals.find(call.sb, call.app, view_id, external_id)
    spec = _spec(call, home=record.view["type"] == "home")
    if call.get("hash") and call.get("hash") != record.view["hash"]:
        raise ApiError("hash_conflict")
    return {"view": modals.snapshot(modals.replace(call.sb, record, spec))}


@method("views.publish")
async def views_publish(call: Call) -> dict[str, Any]:
    user_id = str(call.get("user_id") or "")
    if user_id not in call.sb.ws.users:
        raise ApiError("user_not_found" if user_id else "invalid_arguments")
    spec = _spec(call, home=True)
    current = call.sb.ws.homes.get((user_id, call.app.app_id))
    if current and call.get("hash") and call.get("hash") != call.sb.ws.views[current].view["hash"]:
        raise ApiError("hash_conflict")
    return {"view": modals.snapshot(modals.publish_home(call.sb, call.app, user_id, spec))}
