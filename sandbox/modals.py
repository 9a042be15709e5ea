"""Views: each user's modal stack (at most 3 deep) and each app's home tab per user.

Shared by the views.* methods and by the test users' submit/close, so a `response_action`
changes the stack exactly as the equivalent API call would.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import TYPE_CHECKING, Any

from .elements import initial_state
from .web_api import ApiError
from .workspace import App, ViewRecord

if TYPE_CHECKING:
    from .sandbox import Sandbox

MAX_STACK = 3


def _hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _carry_state(old: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """What the user already typed survives an update where block and action ids still match."""
    values = initial_state(blocks, all_inputs=True)
    previous = old.get("state", {}).get("values", {})
    for block_id, actions in values.items():
        for action_id, entry in actions.items():
            prior = previous.get(block_id, {}).get(action_id)
            if prior is not None and prior.get("type") == entry["type"]:
                actions[action_id] = prior
    return values


def build(sb: Sandbox, app: App, spec: dict[str, Any], *, view_id: str | None = None,
          root: str | None = None, previous: str | None = None,
          old: dict[str, Any] | None = None) -> dict[str, Any]:
    view_id = view_id or sb.ws.new_id("V")
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": sb.ws.team_id,
        "type": spec["type"],
        "blocks": spec["blocks"],
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "state": {"values": _carry_state(old or {}, spec["blocks"])},
        "hash": _hash(),
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "root_view_id": root or view_id,
        "previous_view_id": previous,
        "app_id": app.app_id,
        "external_id": spec.get("external_id", ""),
        "app_installed_team_id": sb.ws.team_id,
        "bot_id": app.bot_id,
    }
    for key in ("title", "close", "submit"):
        view[key] = spec.get(key)
    return view


def _check_external_id(sb: Sandbox, spec: dict[str, Any], keep: str | None = None) -> None:
    ext = spec.get("external_id")
    if ext and any(r.view.get("external_id") == ext and r.view["id"] != keep
                   for r in sb.ws.views.values()):
        raise ApiError("duplicate_external_id")


def open_modal(sb: Sandbox, app: App, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    _check_external_id(sb, spec)
    for view_id in sb.ws.modal_stacks.get(user_id, []):
        sb.ws.views.pop(view_id, None)  # a new modal replaces whatever the user had open
    view = build(sb, app, spec)
    sb.ws.views[view["id"]] = ViewRecord(view, user_id, app.app_id)
    sb.ws.modal_stacks[user_id] = [view["id"]]
    return view


def push_modal(sb: Sandbox, app: App, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    stack = sb.ws.modal_stacks.get(user_id) or []
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= MAX_STACK:
        raise ApiError("push_limit_reached")
    _check_external_id(sb, spec)
    view = build(sb, app, spec, root=stack[0], previous=stack[-1])
    sb.ws.views[view["id"]] = ViewRecord(view, user_id, app.app_id)
    stack.append(view["id"])
    return view


def replace(sb: Sandbox, record: ViewRecord, spec: dict[str, Any]) -> dict[str, Any]:
    app = sb.ws.apps[record.app_id]
    old = record.view
    _check_external_id(sb, spec, keep=old["id"])
    record.view = build(sb, app, spec, view_id=old["id"], root=old["root_view_id"],
                        previous=old["previous_view_id"], old=old)
    return record.view


def find(sb: Sandbox, app: App, view_id: str | None, external_id: str | None) -> ViewRecord:
    for record in sb.ws.views.values():
        if record.app_id != app.app_id:
            continue
        if (view_id and record.view["id"] == view_id) or (
                external_id and record.view.get("external_id") == external_id):
            return record
    raise ApiError("not_found")


def top(sb: Sandbox, user_id: str) -> ViewRecord | None:
    stack = sb.ws.modal_stacks.get(user_id) or []
    return sb.ws.views.get(stack[-1]) if stack else None


def pop(sb: Sandbox, user_id: str) -> None:
    stack = sb.ws.modal_stacks.get(user_id) or []
    if stack:
        sb.ws.views.pop(stack.pop(), None)


def clear(sb: Sandbox, user_id: str) -> None:
    for view_id in sb.ws.modal_stacks.pop(user_id, []):
        sb.ws.views.pop(view_id, None)


def publish_home(sb: Sandbox, app: App, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    key = (user_id, app.app_id)
    view_id = sb.ws.homes.get(key)
    if view_id:
        return replace(sb, sb.ws.views[view_id], spec)
    view = build(sb, app, spec)
    sb.ws.views[view["id"]] = ViewRecord(view, user_id, app.app_id)
    sb.ws.homes[key] = view["id"]
    return view


def snapshot(view: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(view)
