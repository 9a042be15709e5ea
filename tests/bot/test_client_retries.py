"""The Web API client rides out Slack's rate limits (429 + Retry-After) and brief 5xx errors."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import make_client
from bot.config import Settings


async def _flaky_slack(first: web.Response) -> tuple[TestServer, list[str]]:
    calls: list[str] = []

    async def method(request: web.Request) -> web.Response:
        calls.append(request.match_info["name"])
        if len(calls) == 1:
            return first
        return web.json_response({"ok": True, "url": "https://zvh.slack.com/", "user_id": "UB"})

    app = web.Application()
    app.router.add_post("/api/{name}", method)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server, calls


async def test_a_rate_limited_call_is_retried(make_settings: Callable[..., Settings]) -> None:
    server, calls = await _flaky_slack(
        web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
        )
    )
    try:
        settings = make_settings(
            SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=str(server.make_url("/api/"))
        )
        answer = await make_client(settings).auth_test()
    finally:
        await server.close()
    assert answer["ok"] and calls == ["auth.test", "auth.test"]


async def test_a_brief_server_error_is_retried(make_settings: Callable[..., Settings]) -> None:
    server, calls = await _flaky_slack(web.Response(status=503, text="upstream unavailable"))
    try:
        settings = make_settings(
            SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=str(server.make_url("/api/"))
        )
        answer = await make_client(settings).auth_test()
    finally:
        await server.close()
    assert answer["ok"] and len(calls) == 2
