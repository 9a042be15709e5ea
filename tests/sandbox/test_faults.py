"""Injected Slack failures: what an unchanged slack_sdk client sees, and that nothing failed
takes effect (except a timeout that is meant to)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import App, Sandbox


def bare(sb: Sandbox, app: App, timeout: int = 30) -> AsyncWebClient:
    """A client without retry handlers: it sees each failure as Slack sends it."""
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url, timeout=timeout)
    client.retry_handlers.clear()
    return client


async def failure(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def test_each_kind_fails_like_slack_and_changes_nothing(sb: Sandbox, app: App):
    client = bare(sb, app)
    sb.faults.add("ratelimited", method="chat.postMessage", retry_after=7)
    sb.faults.add("http_503", method="chat.postMessage")
    sb.faults.add("http_500", method="chat.postMessage")
    sb.faults.add("error:fatal_error", method="chat.postMessage")
    seen = []
    for _ in range(4):
        err = await failure(client.chat_postMessage(channel="C0CASUSDEMO", text="Vraag 1"))
        seen.append((err.response.status_code, err.response["error"]))
    assert seen == [
        (429, "ratelimited"),
        (503, "service_unavailable"),
        (500, "internal_error"),
        (200, "fatal_error"),
    ]
    assert sb.messages("casus-demo") == []
    assert [(c.ok, c.error, c.fault) for c in sb.calls("chat.postMessage")] == [
        (False, "ratelimited", "ratelimited"),
        (False, "service_unavailable", "http_503"),
        (False, "internal_error", "http_500"),
        (False, "fatal_error", "error:fatal_error"),
    ]
    # The queue is spent: the next call goes through.
    await client.chat_postMessage(channel="C0CASUSDEMO", text="Vraag 1")
    assert [m["text"] for m in sb.messages("casus-demo")] == ["Vraag 1"]


async def test_retry_after_is_sent_with_a_429(sb: Sandbox, app: App):
    sb.faults.add("ratelimited", retry_after=7)  # any method
    err = await failure(bare(sb, app).auth_test())
    assert err.response.headers["Retry-After"] == "7"


async def test_slack_sdk_retry_handlers_ride_out_a_burst(sb: Sandbox, app: App):
    client = AsyncWebClient(
        token=app.bot_token,
        base_url=sb.api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(
                max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.05)
            ),
        ],
    )
    sb.faults.add("ratelimited", method="chat.postMessage", times=2, retry_after=0)
    sb.faults.add("http_503", method="chat.update", times=2)
    posted = await client.chat_postMessage(channel="C0CASUSDEMO", text="Vraag 1")
    await client.chat_update(channel="C0CASUSDEMO", ts=posted["ts"], text="Vraag 1 (klaar)")
    assert [m["text"] for m in sb.messages("casus-demo")] == ["Vraag 1 (klaar)"]
    assert [c.fault for c in sb.api_calls] == [
        "ratelimited",
        "ratelimited",
        None,
        "http_503",
        "http_503",
        None,
    ]
    # A third failure is more than the handlers allow: the caller sees it.
    sb.faults.add("http_500", method="chat.postMessage", times=3)
    err = await failure(client.chat_postMessage(channel="C0CASUSDEMO", text="Vraag 2"))
    assert err.response.status_code == 500
    assert len(sb.messages("casus-demo")) == 1


async def test_a_hung_call_never_takes_effect(sb: Sandbox, app: App):
    sb.faults.add("timeout", method="chat.postMessage")  # never answers
    with pytest.raises(asyncio.TimeoutError):
        await bare(sb, app, timeout=1).chat_postMessage(channel="C0CASUSDEMO", text="Vraag 1")
    await sb.settle()  # the hang ends when the client gives up
    assert sb.messages("casus-demo") == []
    [call] = sb.calls("chat.postMessage")
    assert (call.ok, call.error, call.fault) == (False, "timeout", "timeout")


async def test_a_slow_call_answers_late(sb: Sandbox, app: App):
    sb.faults.add("timeout", method="chat.postMessage", hold=0.3)
    posted = await bare(sb, app).chat_postMessage(channel="C0CASUSDEMO", text="Vraag 1")
    assert sb.message("casus-demo", posted["ts"])["text"] == "Vraag 1"


async def test_a_lost_answer_after_the_effect_makes_a_duplicate(sb: Sandbox, app: App):
    # slack_sdk's default handler retries a dropped connection: the post lands twice.
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    sb.faults.add("timeout", method="chat.postMessage", hold=0.05, after_effect=True, drop=True)
    await client.chat_postMessage(channel="C0CASUSDEMO", text="Herinnering")
    assert [m["text"] for m in sb.messages("casus-demo")] == ["Herinnering", "Herinnering"]
    assert [(c.ok, c.fault) for c in sb.calls("chat.postMessage")] == [
        (False, "timeout+effect"),
        (True, None),
    ]


async def test_a_seeded_storm_is_reproducible(app: App):
    async def run(seed: int) -> list[str | None]:
        async with Sandbox() as storm:
            installed = storm.install_app(events=())
            storm.faults.randomly(
                0.5, kinds=("ratelimited", "http_503"), seed=seed, method="auth.test"
            )
            client = bare(storm, installed)
            for _ in range(12):
                try:
                    await client.auth_test()
                except SlackApiError:
                    pass
            return [c.fault for c in storm.api_calls]

    first = await run(7)
    assert first == await run(7)
    assert {"ratelimited", "http_503", None} == set(first)
    assert app


async def test_faults_over_the_control_api(sb: Sandbox, app: App):
    client = bare(sb, app)
    async with aiohttp.ClientSession(base_url=sb.url) as http:
        async with http.post(
            "/_sandbox/faults",
            json={"kind": "http_503", "method": ["chat.postMessage", "chat.update"], "times": 2},
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["pending"][0]["times"] == 2
        async with http.post("/_sandbox/faults", json={"kind": "nonsense"}) as resp:
            assert resp.status == 400 and "unknown fault kind" in (await resp.json())["error"]
        err = await failure(client.chat_postMessage(channel="C0CASUSDEMO", text="x"))
        assert err.response.status_code == 503
        async with http.delete("/_sandbox/faults") as resp:
            assert (await resp.json())["pending"] == []
    assert (await client.chat_postMessage(channel="C0CASUSDEMO", text="x"))["ok"]


async def test_stopping_the_sandbox_releases_a_hung_call():
    sb = Sandbox()
    await sb.start()
    installed = sb.install_app(events=())
    sb.faults.add("timeout", hold=None)
    client = bare(sb, installed, timeout=60)
    pending = asyncio.ensure_future(client.auth_test())
    while not sb.activity.in_flight:  # the call has arrived and hangs
        assert not pending.done()
        await asyncio.sleep(0.01)
    await asyncio.wait_for(sb.stop(), 10)  # not the client's 60 s
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await pending
