"""Fixtures: a running sandbox with the demo workspace and an installed app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import App, Sandbox, Workspace


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(Workspace.demo(), ack_timeout=1.0, connect_timeout=2.0)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
def app(sb: Sandbox) -> App:
    # Subscribed to no events: Web API tests have nobody listening for deliveries.
    return sb.install_app(name="Casusbot", join=["casus-demo"], events=())


@pytest.fixture
def client(sb: Sandbox, app: App) -> AsyncWebClient:
    return AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
