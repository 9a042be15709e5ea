"""The load generator: signed requests at a fixed concurrency, ack latency per request.

It runs in its own process (`LoadProcess`, `python -m benchmarks.load`), so its event loop
never competes with the sandbox's or the server's: what it times is the server's answer, not
our own scheduling.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.procs import Worker, spawn_worker
from sandbox.delivery import sign

REQUEST_TIMEOUT = 30.0  # far above Slack's 3 s: a slow ack is measured, not dropped
JOB_TIMEOUT = 600.0
MAX_JOBS = 1000


@dataclass(frozen=True)
class Request:
    body: str
    content_type: str


@dataclass
class LoadResult:
    latencies_ms: list[float]
    seconds: float
    statuses: dict[int, int]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
            "max_ms": round(max(self.latencies_ms, default=0.0), 2),
            "throughput": round(self.throughput, 1),
        }


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    # "inclusive": the 99th percentile of 600 samples is interpolated, never beyond the max.
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def signed_headers(secret: str, request: Request) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": request.content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret, timestamp, request.body),
    }


async def fire(url: str, requests: list[Request], secret: str, concurrency: int) -> LoadResult:
    """Send every request once, `concurrency` at a time (closed loop), in the given order."""
    # Signed up front, like Slack signs before sending: signing is not the server's cost.
    prepared = [(r.body.encode(), signed_headers(secret, r)) for r in requests]
    latencies: list[float] = [0.0] * len(prepared)
    statuses: Counter[int] = Counter()
    next_index = 0
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(prepared):
                index = next_index
                next_index += 1
                body, headers = prepared[index]
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1
                latencies[index] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(prepared)))))
        seconds = time.perf_counter() - started
    return LoadResult(latencies, seconds, dict(statuses))


class LoadProcess:
    """A persistent worker process (`python -m benchmarks.load`) that runs `fire` per job:
    one JSON line in on stdin, one JSON line out."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    @classmethod
    async def start(cls, log_dir: Path) -> LoadProcess:
        worker = await spawn_worker("load", ["-m", "benchmarks.load"], env={}, log_dir=log_dir)
        if await worker.read_line(JOB_TIMEOUT) != "ready":
            raise RuntimeError(f"the load generator did not start:\n{worker.log_tail()}")
        return cls(worker)

    async def fire(
        self, url: str, requests: list[Request], secret: str, concurrency: int
    ) -> LoadResult:
        job = {
            "url": url,
            "secret": secret,
            "concurrency": concurrency,
            "requests": [[r.body, r.content_type] for r in requests],
        }
        await self._worker.send_line(json.dumps(job))
        answer = json.loads(await self._worker.read_line(JOB_TIMEOUT))
        statuses = {int(status): n for status, n in answer["statuses"].items()}
        return LoadResult(answer["latencies_ms"], answer["seconds"], statuses)

    async def close(self) -> None:
        await self._worker.send_line("")
        await self._worker.stop()


async def serve_jobs() -> None:
    """The worker's loop: run jobs until an empty line (or end of input)."""
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    for _ in range(MAX_JOBS):
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if not line:
            return
        job = json.loads(line)
        requests = [Request(body, content_type) for body, content_type in job["requests"]]
        result = await fire(job["url"], requests, job["secret"], job["concurrency"])
        answer = {
            "latencies_ms": result.latencies_ms,
            "seconds": result.seconds,
            "statuses": result.statuses,
        }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    asyncio.run(serve_jobs())
