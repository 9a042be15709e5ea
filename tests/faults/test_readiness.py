"""/readyz in Socket Mode: 503 within 2 s while the connection to Slack is down, 200 again once
the bot has reconnected by itself; /healthz answers throughout (issue 17)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.e2e.conftest import Harness
from tests.e2e.conftest import socket_harness as socket_harness
from tests.faults.conftest import figure

RECONNECT_LIMIT = 60.0  # the SDK notices a dead socket on its next ping (every 10 s)


async def get(url: str) -> tuple[int, float, dict[str, object]]:
    started = time.monotonic()
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, time.monotonic() - started, await response.json()


async def test_readiness_follows_the_socket_mode_connection(socket_harness: Harness) -> None:
    h = socket_harness
    base = f"http://127.0.0.1:{h.bot.port}"
    assert (await get(base + "/readyz"))[0] == 200
    await h.sb.stop()  # Slack is gone: the socket closes and reconnecting fails
    status, took, body = await get(base + "/readyz")
    assert (status, body.get("slack")) == (503, "disconnected") and took < 2.0
    assert (await get(base + "/healthz"))[0] == 200
    await h.sb.start()  # back on the same port, with the same app and tokens
    back = time.monotonic()
    while (await get(base + "/readyz"))[0] != 200:
        assert time.monotonic() - back < RECONNECT_LIMIT, "the bot never reconnected"
        await asyncio.sleep(0.2)
    figure("socket mode down", readyz_503_s=took, ready_again_s=time.monotonic() - back)
    petra = h.sb.user("petra")
    await petra.slash("/casus", "help", channel="casus-demo")
    await h.settle()
    assert "Casusbot" in str(petra.ephemerals("casus-demo")[-1])
