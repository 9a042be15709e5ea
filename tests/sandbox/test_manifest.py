"""Installing from a manifest: declared commands, event subscriptions and scopes are enforced."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox
from sandbox.web_api import CHANNEL_SCOPES, METHOD_SCOPES

from .helpers import serve

MANIFEST: dict[str, Any] = {
    "display_information": {"name": "Casusbot"},
    "features": {"slash_commands": [{"command": "/casus"}]},
    "oauth_config": {
        "scopes": {"bot": ["commands", "chat:write", "groups:history", "groups:read", "users:read"]}
    },
    "settings": {"event_subscriptions": {"bot_events": ["message.groups", "app_home_opened"]}},
}


async def test_scopes_from_the_manifest_are_enforced(sb: Sandbox):
    app = sb.install_app(manifest=MANIFEST, join=["casus-demo", "algemeen"])
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    assert (await client.conversations_history(channel="C0CASUSDEMO"))["ok"]
    with pytest.raises(SlackApiError) as info:
        await client.conversations_history(channel="C0ALGEMEEN")  # public: channels:history
    assert info.value.response["error"] == "missing_scope"
    assert info.value.response["needed"] == "channels:history"
    with pytest.raises(SlackApiError) as info:
        await client.conversations_open(users="U0PETRA")
    assert info.value.response["needed"] == "im:write"


async def test_only_declared_events_and_commands_arrive(sb: Sandbox):
    received: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/slack/events", handle)
    async with serve(receiver) as url:
        sb.install_app(manifest=MANIFEST, request_url=url, join=["casus-demo", "algemeen"])
        petra = sb.user("petra")
        await petra.post("casus-demo", "privé")  # message.groups: subscribed
        await petra.post("algemeen", "openbaar")  # message.channels: not subscribed
        await petra.post_dm("dm")  # message.im: not subscribed
        await sb.settle()
    assert [r["event"]["text"] for r in received] == ["privé"]
    with pytest.raises(LookupError, match="/overleg"):
        await petra.slash("/overleg")


async def test_url_verification_with_bolt(sb: Sandbox):
    installed = sb.install_app(request_url="http://placeholder")
    bolt = AsyncApp(
        client=AsyncWebClient(token=installed.bot_token, base_url=sb.api_url),
        signing_secret=installed.signing_secret,
    )
    async with serve(bolt.web_app()) as url:
        installed.request_url = url
        assert await sb.verify_url() is True


# ----- the repository's manifest.yml against the code -----

ROOT = Path(__file__).resolve().parents[2]
REPO_MANIFEST = ROOT / "manifest.yml"
# slack_sdk helpers that call other methods.
COMPOSITE = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
# Called with the app-level token (its scope is connections:write on that token, not a bot scope).
APP_TOKEN_METHODS = {"apps.connections.open"}
# Which kinds of conversation the bot uses each conversation method in: case channels are
# private, and DMs; conversations.info also meets the public channel someone tries to open a
# case in (to refuse it).
CONVERSATION_KINDS = {
    "conversations.info": ("public", "private"),
    "conversations.members": ("private",),
    "conversations.history": ("private", "dm"),
    "conversations.replies": ("private", "dm"),
    "conversations.invite": ("private",),
    "conversations.kick": ("private",),
}
KIND_INDEX = {"public": 0, "private": 1, "dm": 2}
# Methods Slack asks no scope for (views need a trigger or the user's home; auth.test any token;
# chat.getPermalink: "No scope required" in Slack's method reference).
NO_SCOPE_METHODS = {
    "auth.test",
    "chat.getPermalink",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
}


def repo_manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(REPO_MANIFEST.read_text(encoding="utf-8"))
    return loaded


def web_api_methods_called() -> set[str]:
    """Every Web API method the bot's code calls through slack_sdk's client."""
    names = {n for n in dir(AsyncWebClient) if not n.startswith("_") and "_" in n}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    called: set[str] = set()
    for name in names:
        if not re.search(rf"\.{name}\(", code):
            continue
        if name in COMPOSITE:
            called.update(COMPOSITE[name])
        else:
            called.add(_api_name(name))
    return called


def _api_name(python_name: str) -> str:
    """chat_postMessage -> chat.postMessage; conversations_canvases_create -> ...create."""
    return python_name.replace("_", ".")


def scopes_needed() -> dict[str, set[str]]:
    """{bot scope: the methods or features that need it}."""
    needed: dict[str, set[str]] = {}
    for method in web_api_methods_called() - APP_TOKEN_METHODS:
        if method in CHANNEL_SCOPES:
            for kind in CONVERSATION_KINDS[method]:
                needed.setdefault(CHANNEL_SCOPES[method][KIND_INDEX[kind]], set()).add(method)
            continue
        scopes = METHOD_SCOPES.get(method, ())
        if method == "conversations.create":
            scopes = ("groups:write",)  # the case channel is private
        if scopes:
            needed.setdefault(scopes[0], set()).add(method)
    needed.setdefault("commands", set()).add("/casus")
    for event in repo_manifest()["settings"]["event_subscriptions"]["bot_events"]:
        if event.startswith("message."):
            history = {"groups": "groups:history", "im": "im:history", "channels": ""}
            scope = history[event.split(".", 1)[1]]
            needed.setdefault(scope, set()).add(event)
    return needed


def test_every_web_api_method_the_code_calls_is_known() -> None:
    called = web_api_methods_called()
    assert {"chat.delete", "files.delete", "canvases.delete", "pins.remove"} <= called
    unknown = {
        m
        for m in called - APP_TOKEN_METHODS
        if m not in METHOD_SCOPES and m not in CHANNEL_SCOPES and m not in NO_SCOPE_METHODS
    }
    assert unknown == set(), "add their scopes to the sandbox (sandbox/web_api.py)"


def test_the_manifest_asks_for_the_scopes_the_code_needs_and_no_others() -> None:
    asked = set(repo_manifest()["oauth_config"]["scopes"]["bot"])
    needed = scopes_needed()
    assert sorted(set(needed) - asked) == [], "scopes the code needs that manifest.yml lacks"
    assert sorted(asked - set(needed)) == [], "scopes manifest.yml asks for that no code uses"


def test_the_manifest_subscribes_to_the_events_the_bot_listens_to_and_no_others() -> None:
    surface = (ROOT / "bot" / "surface.py").read_text(encoding="utf-8")
    listened = set(re.findall(r"app\.event\(\"([a-z_]+)\"\)", surface))
    subscribed = set(repo_manifest()["settings"]["event_subscriptions"]["bot_events"])
    as_events = {e.split(".")[0] for e in subscribed}
    assert as_events == listened
    # The bot reads thread replies in private case channels; it reads no DM text.
    assert {e for e in subscribed if e.startswith("message.")} == {"message.groups"}


def test_every_scope_in_the_manifest_has_a_comment_saying_why() -> None:
    lines = REPO_MANIFEST.read_text(encoding="utf-8").splitlines()
    for scope in repo_manifest()["oauth_config"]["scopes"]["bot"]:
        [line] = [ln for ln in lines if re.match(rf"\s+- {re.escape(scope)}\s", ln + " ")]
        assert "#" in line, f"{scope} has no comment"
    users_read = next(ln for ln in lines if "- users:read" in ln)
    assert "locale" in users_read and "time zone" not in users_read.lower()
