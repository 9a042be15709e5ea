"""Servers under test run as their own OS processes: start them, wait for them, read /proc.

The load generator must never share an event loop (or a GIL) with the server it measures, so
the real bot (`python -m bot run`), the bare Bolt app and the floor each get a process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # a cold start imports SQLAlchemy, Bolt and aiohttp: seconds, not minutes
STOP_TIMEOUT = 15.0
LINE_LIMIT = 64 * 1024 * 1024  # a worker's answer is one JSON line (all latencies)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port the kernel just handed out; the child binds it a moment later (loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A child process serving HTTP on 127.0.0.1:`port`; its output goes to `log_path`."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    health_path: str = "/healthz"
    _log: object = field(default=None, repr=False)
    profiled: bool = False  # started by benchmarks.profiler.bot_command under the profiler

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    async def wait_ready(self, within: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
                try:
                    async with session.get(self.base_url + self.health_path) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} did not come up in {within:.0f}s:\n{self.log_tail()}")

    async def health(self) -> dict[str, object]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.base_url + self.health_path) as response,
        ):
            body: dict[str, object] = await response.json()
            return body

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines)

    async def stop(self) -> None:
        """SIGTERM (the bot shuts down cleanly on it), then SIGKILL if it hangs. Waits without
        blocking the loop: the bot may still call the sandbox (in this process) while it stops."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait, STOP_TIMEOUT)
        if hasattr(self._log, "close"):
            self._log.close()


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def spawn(
    name: str,
    args: list[str],
    *,
    env: dict[str, str],
    log_dir: Path,
    port: int,
    health_path: str = "/healthz",
) -> Server:
    """Start `python <args>` from the repository root with `env` added to ours."""
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return Server(name, process, port, log_path, health_path, log)


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had, in MiB."""
    return _status_kb(pid, "VmHWM") / 1024


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat fields 14, 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; everything after its ')' is fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Worker:
    """A child that talks in lines on stdin/stdout (the pollers); stderr goes to `log_path`."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    async def read_line(self, within: float) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not line:
            raise RuntimeError(f"{self.name} ended early:\n{self.log_tail()}")
        return line.decode().strip()

    async def send_line(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines)

    async def stop(self, grace: float = 5.0) -> None:
        """Give it `grace` seconds to end by itself (it closes its pool), then terminate."""
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            pass
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def spawn_worker(name: str, args: list[str], *, env: dict[str, str], log_dir: Path) -> Worker:
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            limit=LINE_LIMIT,
        )
    return Worker(name, process, log_path)
