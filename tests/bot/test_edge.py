"""The edge hands Bolt the body it parsed: Bolt reads the same payload, and still checks the
signature itself."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.edge import parsed_request

SECRET = "s3cret"


def signed(body: str, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": str(
            SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        ),
    }


def click() -> tuple[str, dict[str, Any]]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "vote_7", "block_id": "b", "type": "button", "value": "v"}],
    }
    raw = urlencode({"payload": json.dumps(payload)})
    return raw, parse_body(raw, "application/x-www-form-urlencoded")


def app_seeing(seen: list[dict[str, Any]]) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: nothing leaves the test
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-test")

    app = AsyncApp(signing_secret=SECRET, authorize=authorize, process_before_response=True)

    @app.action("vote_7")
    async def on_vote(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body)
        await ack()

    return app


async def test_bolt_gets_the_parsed_body_and_still_checks_the_signature() -> None:
    raw, payload = click()
    seen: list[dict[str, Any]] = []
    app = app_seeing(seen)

    request = parsed_request(raw, payload, "", signed(raw))
    assert request.body is payload  # not parsed a second time
    assert request.raw_body == raw and request.mode == "http"
    response = await app.async_dispatch(request)
    assert response.status == 200
    assert seen == [payload]

    forged = parsed_request(raw, payload, "", signed(raw, secret="not-the-secret"))
    assert (await app.async_dispatch(forged)).status == 401
    assert len(seen) == 1
