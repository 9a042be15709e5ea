"""The bot under cProfile, one profile per measured level (`BENCHMARKS_PROFILE_DIR`).

With the variable set, every bot the benchmarks start runs as `python -m benchmarks.profiler
run` instead of `python -m bot run`: the same bot, with two signal handlers. The benchmark
opens a window around a level (`window`): it names the level in `<name>.label`, sends SIGUSR1
(profiling on) and, after the level and the work behind its acks, SIGUSR2 (off, and the
level's profile is written to `<name>-<level>.prof`, with a summary per request in
`<name>-<level>.txt`). Windows with the same label add up. Start-up, seeding and walking to
the ballot stay out of the profile.

cProfile sees the main thread only (the event loop: Bolt, our listeners, SQLAlchemy's async
layer); aiosqlite's statements run in its own thread and show as the waits for it. Profiling
costs CPU: figures from a profiled run tell where the time goes, not how much there is.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import runpy
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from types import FrameType

from benchmarks.procs import Server

PROFILE_ENV = "BENCHMARKS_PROFILE_DIR"
NAME_ENV = "BENCHMARKS_PROFILE_NAME"
START, STOP = signal.SIGUSR1, signal.SIGUSR2
HANDSHAKE_SECONDS = 10.0
TOP = 40  # functions in a summary
IDLE = "<method 'poll' of 'select.epoll' objects>"


def profile_dir() -> Path | None:
    value = os.environ.get(PROFILE_ENV)
    return Path(value).resolve() if value else None


def bot_command(name: str) -> tuple[list[str], dict[str, str]]:
    """The arguments and extra environment that start bot process `name`."""
    directory = profile_dir()
    if directory is None:
        return ["-m", "bot", "run"], {}
    directory.mkdir(parents=True, exist_ok=True)
    return ["-m", "benchmarks.profiler", "run"], {PROFILE_ENV: str(directory), NAME_ENV: name}


def _paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.label", directory / f"{name}.on"


@asynccontextmanager
async def window(server: Server | None, label: str, *, requests: int = 0) -> AsyncIterator[None]:
    """Profile `server` while the block runs. Nothing without BENCHMARKS_PROFILE_DIR, and
    nothing for a server that bot_command did not start (a reference app, or None): SIGUSR1
    would end it. `requests` (if known) makes the summary's figures per request."""
    directory = profile_dir()
    if directory is None or server is None or not server.profiled:
        yield
        return
    label_file, on_file = _paths(directory, server.name)
    label_file.write_text(label)
    os.kill(server.pid, START)
    await _until(lambda: on_file.exists(), f"{server.name} to start profiling")
    try:
        yield
    finally:
        os.kill(server.pid, STOP)
        await _until(lambda: not on_file.exists(), f"{server.name} to write its profile")
        prof = directory / f"{server.name}-{label}.prof"
        prof.with_suffix(".txt").write_text(summary(prof, requests))


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANDSHAKE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def summary(prof: Path, requests: int) -> str:
    """The functions that cost the most time of their own, per request when it is known."""
    stats = pstats.Stats(str(prof))
    table = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    # Time the event loop spent waiting in epoll is idle, not work: left out of the figures.
    idle = sum(row[2] for key, row in table.items() if key[2] == IDLE)
    rows = sorted(
        ((key, row) for key, row in table.items() if key[2] != IDLE),
        key=lambda item: item[1][2],
        reverse=True,
    )
    per = max(requests, 1)
    total = sum(row[2] for _, row in rows)
    lines = [
        f"{prof.name}: {total:.3f} s busy in the main thread ({idle:.3f} s idle in epoll left out)"
        + (f"; {requests} requests: {total * 1000 / per:.2f} ms per request" if requests else ""),
        "",
        "own ms/req   cum ms/req   calls/req   function" if requests else "own s   cum s   calls",
    ]
    for (filename, line, function), (_, calls, own, cumulative, _) in rows[:TOP]:
        where = f"{function}  {_short(filename)}:{line}"
        if requests:
            lines.append(
                f"{own * 1000 / per:10.3f}   {cumulative * 1000 / per:10.3f}"
                f"   {calls / per:9.1f}   {where}"
            )
        else:
            lines.append(f"{own:7.3f} {cumulative:7.3f} {calls:7d}   {where}")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.removeprefix(str(Path.cwd()) + "/")


def main() -> None:
    """`python -m benchmarks.profiler run`: the bot, switched by SIGUSR1/SIGUSR2."""
    directory = Path(os.environ[PROFILE_ENV])
    name = os.environ[NAME_ENV]
    label_file, on_file = _paths(directory, name)
    profiles: dict[str, cProfile.Profile] = {}
    current: list[str] = []

    def start(_signum: int, _frame: FrameType | None) -> None:
        label = label_file.read_text().strip()
        current[:] = [label]
        profiles.setdefault(label, cProfile.Profile()).enable()
        on_file.touch()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        if current:
            label = current.pop()
            profiles[label].disable()
            profiles[label].dump_stats(str(directory / f"{name}-{label}.prof"))
        on_file.unlink(missing_ok=True)

    signal.signal(START, start)
    signal.signal(STOP, stop)
    sys.argv = ["bot", *sys.argv[1:]]
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    finally:
        with suppress(OSError):
            stop(STOP, None)


if __name__ == "__main__":
    main()
