"""The request bodies Slack sends an app when a person acts: slash commands and interactivity."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .workspace import App, Channel, User, ViewRecord

if TYPE_CHECKING:
    from .sandbox import Sandbox


@dataclass
class Surface:
    """Where an interactive element lives: a message, an ephemeral message, or a view."""

    kind: str  # "message" | "ephemeral" | "view"
    blocks: list[dict[str, Any]]
    state: dict[str, dict[str, Any]]  # block_id -> action_id -> state entry (stored, mutable)
    channel: Channel | None = None
    message: dict[str, Any] | None = None
    record: ViewRecord | None = None
    app_id: str | None = field(default=None)


def user_ref(sb: Sandbox, user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.handle, "name": user.handle, "team_id": sb.ws.team_id}


def team_ref(sb: Sandbox) -> dict[str, Any]:
    return {"id": sb.ws.team_id, "domain": sb.ws.domain}


def channel_name(channel: Channel) -> str:
    return "directmessage" if channel.is_im else channel.name


def slash_command(sb: Sandbox, app: App, user: User, command: str, text: str,
                  channel: Channel, response_url: str, trigger_id: str) -> dict[str, str]:
    return {
        "token": app.verification_token,
        "team_id": sb.ws.team_id,
        "team_domain": sb.ws.domain,
        "channel_id": channel.id,
        "channel_name": channel_name(channel),
        "user_id": user.id,
        "user_name": user.handle,
        "command": command,
        "text": text,
        "api_app_id": app.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _common(sb: Sandbox, app: App, user: User, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "team": team_ref(sb),
        "user": user_ref(sb, user),
        "api_app_id": app.app_id,
        "token": app.verification_token,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_actions(sb: Sandbox, app: App, user: User, surface: Surface, action: dict[str, Any],
                  trigger_id: str, response_url: str | None) -> dict[str, Any]:
    payload = _common(sb, app, user, "block_actions")
    payload["trigger_id"] = trigger_id
    if surface.kind == "view":
        assert surface.record is not None
        payload["container"] = {"type": "view", "view_id": surface.record.view["id"]}
        payload["view"] = copy.deepcopy(surface.record.view)
    else:
        assert surface.channel is not None and surface.message is not None
        message = surface.message
        container: dict[str, Any] = {
            "type": "message", "message_ts": message["ts"], "channel_id": surface.channel.id,
            "is_ephemeral": surface.kind == "ephemeral",
        }
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            container["thread_ts"] = message["thread_ts"]
        payload["container"] = container
        payload["channel"] = {"id": surface.channel.id, "name": channel_name(surface.channel)}
        if surface.kind == "message":
            # Slack leaves the message out for ephemeral ones: the app never stored those.
            payload["message"] = copy.deepcopy(message)
        payload["state"] = {"values": copy.deepcopy(surface.state)}
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def view_submission(sb: Sandbox, app: App, user: User, record: ViewRecord,
                    trigger_id: str) -> dict[str, Any]:
    payload = _common(sb, app, user, "view_submission")
    payload.update(trigger_id=trigger_id, view=copy.deepcopy(record.view), response_urls=[])
    return payload


def view_closed(sb: Sandbox, app: App, user: User, record: ViewRecord,
                is_cleared: bool) -> dict[str, Any]:
    payload = _common(sb, app, user, "view_closed")
    payload.update(view=copy.deepcopy(record.view), is_cleared=is_cleared)
    return payload
