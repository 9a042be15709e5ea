"""Installing from a manifest: declared commands, event subscriptions and scopes are enforced."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox

from .helpers import serve

MANIFEST: dict[str, Any] = {
    "display_information": {"name": "Casusbot"},
    "features": {"slash_commands": [{"command": "/casus"}]},
    "oauth_config": {"scopes": {"bot": ["commands", "chat:write", "groups:history",
                                        "groups:read", "users:read"]}},
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
        await petra.post("casus-demo", "privé")      # message.groups: subscribed
        await petra.post("algemeen", "openbaar")     # message.channels: not subscribed
        await petra.post_dm("dm")                    # message.im: not subscribed
        await sb.settle()
    assert [r["event"]["text"] for r in received] == ["privé"]
    with pytest.raises(LookupError, match="/overleg"):
        await petra.slash("/overleg")


async def test_url_verification_with_bolt(sb: Sandbox):
    installed = sb.install_app(request_url="http://placeholder")
    bolt = AsyncApp(client=AsyncWebClient(token=installed.bot_token, base_url=sb.api_url),
                    signing_secret=installed.signing_secret)
    async with serve(bolt.web_app()) as url:
        installed.request_url = url
        assert await sb.verify_url() is True
