"""`python -m bot` as a real process: it serves Slack and /healthz, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from sandbox import Sandbox, Workspace
from tests.e2e.conftest import CASE_CHANNEL, MANIFEST

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if process.returncode is not None:
                raise AssertionError("the bot exited during start-up")
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the bot never became healthy")


async def test_the_bot_process_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    async with Sandbox(Workspace.demo()) as sb:
        app = sb.install_app(
            name="Casusbot",
            join=[CASE_CHANNEL],
            manifest=str(MANIFEST),
            request_url=f"http://127.0.0.1:{port}/slack/events",
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "SLACK_BOT_TOKEN": app.bot_token,
            "SLACK_SIGNING_SECRET": app.signing_secret,
            "SLACK_API_URL": sb.api_url,
            "CASUSBOT_HOST": "127.0.0.1",
            "CASUSBOT_PORT": str(port),
            "CASUSBOT_DATA_DIR": str(tmp_path / "data"),
            "CASUSBOT_ENV": "development",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            petra = sb.user("petra")
            await petra.slash("/casus", "help", channel=CASE_CHANNEL)
            for _ in range(100):
                if petra.ephemerals(CASE_CHANNEL):
                    break
                await asyncio.sleep(0.05)
            assert "Casusbot" in str(petra.ephemerals(CASE_CHANNEL)[-1])
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0
    log = stderr.decode()
    assert "Stopping Casusbot" in log and "Traceback" not in log
    assert "POST /slack/events 200" in log  # one log line per request, with its duration
