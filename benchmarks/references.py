"""The two references our acks are compared with, each served in its own process.

- `bare`: a Bolt AsyncApp that only acks, set up the way a typical app is — default
  `process_before_response=False`, so Bolt runs the listener in a task and polls for its ack —
  served on aiohttp through slack_bolt's adapter, as our bot is.
- `floor`: a plain aiohttp handler that checks the signature and parses the body: what any
  Slack app pays before it does anything at all.

    python -m benchmarks.references bare|floor --port P --secret S [--api-url URL --token T]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

HOST = "127.0.0.1"


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def bare_app(secret: str, token: str, api_url: str) -> web.Application:
    # The Web API client points at the stand-in: Bolt's one auth.test must stay on this machine.
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=secret,
    )

    @app.action(re.compile(r"^vote_"))
    async def vote(ack: Any) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def floor_app(secret: str) -> web.Application:
    verifier = SignatureVerifier(secret)

    async def events(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid(
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        ):
            return web.Response(status=401)
        if request.content_type == "application/json":
            json.loads(body)
        else:
            json.loads(parse_qs(body).get("payload", ["{}"])[0])
        return web.Response(status=200)

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.references")
    parser.add_argument("kind", choices=("bare", "floor"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--token", default="xoxb-benchmark")
    parser.add_argument("--api-url", default="http://127.0.0.1:9/api/")
    args = parser.parse_args(argv)
    web_app = (
        bare_app(args.secret, args.token, args.api_url)
        if args.kind == "bare"
        else floor_app(args.secret)
    )
    web.run_app(web_app, host=HOST, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
