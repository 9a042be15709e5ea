"""The fault suite: the real bot as a process (`python -m bot run`, HTTP mode) against the
sandbox as Slack, on PostgreSQL — directly, or through a TCP proxy that can refuse or hang.

Figures (times, counts) are printed as `FAULTS …` lines (run with `-s` to see them); the
tests assert what a user must be able to rely on, with bounds a loaded machine still meets.
Long variants run when CASUSBOT_LONG_FAULTS=1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet

from sandbox import App, Sandbox, Workspace
from storage.db import Database, make_engine
from storage.migrate import migrate
from tests.e2e.conftest import CASE_CHANNEL, MANIFEST

REPO = Path(__file__).resolve().parents[2]
LONG = os.environ.get("CASUSBOT_LONG_FAULTS") == "1"
START_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def figure(name: str, **values: object) -> None:
    """One line of measurements for the report."""
    shown = " ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )
    print(f"FAULTS {name}: {shown}", flush=True)


@dataclass
class BotProcess:
    """`python -m bot run` in HTTP mode; its log goes to a file (a full pipe would block it)."""

    env: dict[str, str]
    port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> BotProcess:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.log_path.parent,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        await self.wait_for("/healthz", 200, START_SECONDS)
        return self

    async def get(self, path: str, limit: float = 10.0) -> tuple[int, float, dict[str, Any]]:
        """(status, seconds it took, JSON body) of a GET."""
        started = time.monotonic()
        client_timeout = aiohttp.ClientTimeout(total=limit)
        async with aiohttp.ClientSession(timeout=client_timeout) as http:
            async with http.get(self.base + path) as response:
                body = await response.json(content_type=None)
                return response.status, time.monotonic() - started, body

    async def wait_for(self, path: str, status: int, within: float) -> float:
        """Poll `path` until it answers `status`; seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"the bot exited: {self.log()[-2000:]}")
            try:
                if (await self.get(path, limit=3.0))[0] == status:
                    return time.monotonic() - started
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"{path} never answered {status} within {within}s: {self.log()[-2000:]}"
        )

    async def busy(self) -> int:
        """Followups and renders running in the bot now."""
        return int((await self.get("/healthz"))[2].get("tasks", 0))

    def kill(self) -> None:
        """kill -9: no shutdown, no clean-up, as a crash or an OOM kill."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stage:
    """A sandbox, a PostgreSQL schema and the bot processes started on it."""

    sb: Sandbox
    app: App
    pg_url: str
    schema: str
    tmp: Path
    key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    bots: list[BotProcess] = field(default_factory=list)
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        # The tests' own view of the database: direct, never through the proxy.
        self.db = Database(make_engine(self.pg_url, schema=self.schema))

    def bot_env(self, *, port: int, db_port: int = 5432, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "SLACK_BOT_TOKEN": self.app.bot_token,
            "SLACK_SIGNING_SECRET": self.app.signing_secret,
            "SLACK_API_URL": self.sb.api_url,
            "CASUSBOT_HOST": "127.0.0.1",
            "CASUSBOT_PORT": str(port),
            "CASUSBOT_DATA_DIR": str(self.tmp / f"data-{port}"),
            "CASUSBOT_ENCRYPTION_KEYS": self.key,  # replicas must share the key
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{db_port}/test",
            "CASUSBOT_DATABASE_SCHEMA": self.schema,
            "CASUSBOT_LOG_LEVEL": "INFO",
            **extra,
        }

    async def start_bot(self, *, db_port: int = 5432, **extra: str) -> BotProcess:
        port = free_port()
        bot = BotProcess(
            self.bot_env(port=port, db_port=db_port, **extra),
            port,
            self.tmp / f"bot-{port}.log",
        )
        self.bots.append(bot)
        return await bot.start()

    async def settle(self, max_wait: float = 20.0) -> None:
        """Quiet in the sandbox and no task running in any live bot."""
        deadline = time.monotonic() + max_wait
        while True:
            await self.sb.settle(max_wait=max_wait)
            live = [b for b in self.bots if b.process and b.process.returncode is None]
            if all([await b.busy() == 0 for b in live]):
                await self.sb.settle(max_wait=max_wait)
                if all([await b.busy() == 0 for b in live]):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("bots still busy")
            await asyncio.sleep(0.05)


@pytest.fixture
async def stage(pg_schema_url: tuple[str, str], tmp_path: Path) -> AsyncIterator[Stage]:
    url, schema = pg_schema_url
    sb = Sandbox(Workspace.demo(), ack_timeout=10.0, trigger_ttl=10.0, connect_timeout=10.0)
    await sb.start()
    app = sb.install_app(
        name="Casusbot",
        join=[CASE_CHANNEL],
        manifest=str(MANIFEST),
        request_url="http://127.0.0.1:1/slack/events",  # set once a bot listens
    )
    result = Stage(sb, app, url, schema, tmp_path)
    await migrate(result.db.engine)
    try:
        yield result
    finally:
        for bot in result.bots:
            await bot.stop()
        await result.db.dispose()
        await sb.stop()
