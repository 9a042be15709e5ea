"""Fixtures: a running sandbox with the demo workspace and an installed app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
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


@pytest.fixture
async def bolt_app(sb: Sandbox) -> AsyncIterator[AsyncApp]:
    """A Bolt AsyncApp for the installed 'Casusbot', connected over Socket Mode once the test
    has registered its listeners and awaits `bolt_app.connect()`."""
    installed = sb.install_app(name="Casusbot", join=["casus-demo"])
    app = AsyncApp(client=AsyncWebClient(token=installed.bot_token, base_url=sb.api_url))
    handler = AsyncSocketModeHandler(app, installed.app_token)
    app.connect = handler.connect_async  # type: ignore[attr-defined]
    yield app
    await handler.close_async()
