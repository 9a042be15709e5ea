"""Runtime settings: latency, granted scopes, the bot's channel membership — from Python and
over the control API, so a benchmark or a doctor test can change them under a running bot."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import App, Sandbox
from sandbox.__main__ import parse_args


async def test_latency_delays_each_call_without_queueing_them(app: App):
    async with Sandbox(latency=0.5) as slow:
        installed = slow.install_app(events=())
        client = AsyncWebClient(token=installed.bot_token, base_url=slow.api_url)
        started = time.monotonic()
        calls = asyncio.gather(*(client.auth_test() for _ in range(5)))
        # All five wait at the same time: a sleep per request, not one queue.
        while slow.activity.in_flight["web_api"] < 5:
            assert not calls.done()
            await asyncio.sleep(0.01)
        await calls
        assert time.monotonic() - started >= 0.5
    assert app


async def test_latency_is_switched_at_runtime_over_the_control_api(
    sb: Sandbox, client: AsyncWebClient
):
    async with aiohttp.ClientSession(base_url=sb.url) as http:
        async with http.post("/_sandbox/settings", json={"latency": 0.4}) as resp:
            assert (await resp.json())["latency"] == 0.4
        started = time.monotonic()
        await client.auth_test()
        assert time.monotonic() - started >= 0.4
        async with http.post("/_sandbox/settings", json={"latency": -1}) as resp:
            assert resp.status == 400
        async with http.post(
            "/_sandbox/settings", json={"canvases": "team_tier", "latency": 0}
        ) as resp:
            assert await resp.json() == {"ok": True, "latency": 0.0, "canvases": "team_tier"}
    assert sb.ws.canvases == "team_tier"
    assert parse_args(["--latency", "0.1"]).latency == 0.1


async def test_every_answer_names_granted_and_accepted_scopes(sb: Sandbox):
    app = sb.install_app(
        name="Casusbot",
        join=["casus-demo"],
        events=(),
        scopes=["chat:write", "groups:read", "users:read"],
    )
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    resp = await client.conversations_info(channel="C0CASUSDEMO")
    assert resp.headers["X-OAuth-Scopes"] == "chat:write,groups:read,users:read"
    assert resp.headers["X-Accepted-OAuth-Scopes"] == "channels:read,groups:read,im:read"
    assert (await client.auth_test()).headers["X-OAuth-Scopes"] == (
        "chat:write,groups:read,users:read"
    )
    with pytest.raises(SlackApiError) as info:
        await client.pins_add(channel="C0CASUSDEMO", timestamp="1.1")
    assert info.value.response.headers["X-Accepted-OAuth-Scopes"] == "pins:write"


async def test_a_scope_taken_away_at_runtime(sb: Sandbox, app: App, client: AsyncWebClient):
    assert "chat:write" in (await client.auth_test()).headers["X-OAuth-Scopes"].split(",")
    sb.revoke_scopes("chat:write")
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0CASUSDEMO", text="x")
    assert (info.value.response["error"], info.value.response["needed"]) == (
        "missing_scope",
        "chat:write",
    )
    async with aiohttp.ClientSession(base_url=sb.url) as http:
        async with http.post(
            "/_sandbox/apps/casusbot/scopes",
            json={"grant": ["chat:write"], "revoke": ["pins:write"]},
        ) as resp:
            scopes = (await resp.json())["scopes"]
        assert "chat:write" in scopes and "pins:write" not in scopes
        async with http.post("/_sandbox/apps/nobody/scopes", json={"grant": []}) as resp:
            assert resp.status == 404
    assert (await client.chat_postMessage(channel="C0CASUSDEMO", text="x"))["ok"]
    assert app.scopes is not None and "pins:write" not in app.scopes


async def test_the_bot_removed_from_a_channel(sb: Sandbox, app: App, client: AsyncWebClient):
    sb.kick("casus-demo", "casusbot")
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0CASUSDEMO", text="x")
    assert info.value.response["error"] == "channel_not_found"  # private: gone for the bot
    sb.invite("casus-demo", "casusbot", by="petra")
    async with aiohttp.ClientSession(base_url=sb.url) as http:
        async with http.post(
            "/_sandbox/channels/casus-demo/kick", json={"user": "casusbot"}
        ) as resp:
            assert app.bot_user_id not in (await resp.json())["members"]
        async with http.post("/_sandbox/channels/nope/kick", json={"user": "petra"}) as resp:
            assert resp.status == 404
    info_resp = await client.conversations_info(channel="C0ALGEMEEN")
    assert info_resp["channel"]["is_member"] is False
