"""Scripted Slack failures: a queue of faults the Web API serves instead of (or around) answers.

    sb.faults.add("ratelimited", method="chat.postMessage", times=5, retry_after=1)
    sb.faults.add("http_503", times=3)                      # any method
    sb.faults.add("timeout", method="chat.postMessage", hold=2.0, after_effect=True)
    sb.faults.randomly(0.2, kinds=("ratelimited", "http_503"), seed=7)   # a storm

Kinds, as real Slack fails:
- `ratelimited`: HTTP 429, `Retry-After`, `{"ok": false, "error": "ratelimited"}`;
- `http_500` / `http_502` / `http_503` / `http_504`: that status with Slack's error body;
- `error:<code>`: HTTP 200 with `{"ok": false, "error": "<code>"}`;
- `timeout`: the request hangs `hold` seconds (None: until the client gives up or the sandbox
  stops). By default the call then runs and answers (a slow Slack), and not at all when the
  client stopped waiting. With `after_effect=True` the call takes effect *before* the hang, so
  only its answer is late or lost — how duplicate posts happen in real life. `drop=True` ends
  the hang by closing the connection without an answer (the client sees a disconnect, which
  slack_sdk's connection-error retry handler retries).
Except a timeout that takes effect, a failed call never takes effect.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# HTTP status -> the `error` Slack's body names for it.
SERVER_ERRORS = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable",
                 504: "request_timeout"}
KINDS = ("ratelimited", "timeout", *(f"http_{status}" for status in SERVER_ERRORS))


def check_kind(kind: str) -> str:
    if kind in KINDS or (kind.startswith("error:") and len(kind) > len("error:")):
        return kind
    raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)} or error:<code>")


def _methods(method: str | Iterable[str] | None) -> frozenset[str] | None:
    if method is None:
        return None
    return frozenset([method] if isinstance(method, str) else method)


@dataclass
class Fault:
    """One scripted failure, served `times` times (None: until cleared) to matching calls."""

    kind: str
    methods: frozenset[str] | None = None  # None: every Web API method
    times: int | None = 1
    retry_after: int = 1
    hold: float | None = None
    after_effect: bool = False
    drop: bool = False
    hits: int = 0

    def matches(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def status(self) -> int:
        if self.kind == "ratelimited":
            return 429
        if self.kind.startswith("http_"):
            return int(self.kind.removeprefix("http_"))
        return 200

    @property
    def error(self) -> str:
        if self.kind == "ratelimited":
            return "ratelimited"
        if self.kind == "timeout":
            return "timeout"
        if self.kind.startswith("error:"):
            return self.kind.removeprefix("error:")
        return SERVER_ERRORS[self.status]

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "methods": sorted(self.methods) if self.methods else None,
                "times": self.times, "hits": self.hits, "retry_after": self.retry_after,
                "hold": self.hold, "after_effect": self.after_effect, "drop": self.drop}


@dataclass
class Storm:
    """Random faults: each matching call fails with `probability`, the kind drawn from `kinds`."""

    probability: float
    kinds: tuple[str, ...]
    methods: frozenset[str] | None
    rng: random.Random
    retry_after: int = 1
    hold: float | None = None
    hits: int = field(default=0)

    def draw(self, method: str) -> Fault | None:
        if self.methods is not None and method not in self.methods:
            return None
        if self.rng.random() >= self.probability:
            return None
        self.hits += 1
        return Fault(self.rng.choice(self.kinds), frozenset([method]), times=1,
                     retry_after=self.retry_after, hold=self.hold, hits=1)


class Faults:
    """The sandbox's fault queue (`sb.faults`); the first unspent matching fault is served."""

    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.storm: Storm | None = None

    def add(self, kind: str, *, method: str | Iterable[str] | None = None, times: int | None = 1,
            retry_after: int = 1, hold: float | None = None, after_effect: bool = False,
            drop: bool = False) -> Fault:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        if (after_effect or drop or hold is not None) and kind != "timeout":
            raise ValueError("hold, after_effect and drop are for timeouts: other faults "
                             "answer at once and never take effect")
        if hold is not None and hold < 0:
            raise ValueError("hold is a number of seconds, at least 0")
        fault = Fault(check_kind(kind), _methods(method), times, int(retry_after), hold,
                      after_effect, drop)
        self.queue.append(fault)
        return fault

    def randomly(self, probability: float, *,
                 kinds: Iterable[str] = ("ratelimited", "http_503"),
                 method: str | Iterable[str] | None = None, seed: int = 0,
                 retry_after: int = 1, hold: float | None = None) -> Storm:
        """A seeded storm: reproducible for one sequence of calls."""
        if not 0 <= probability <= 1:
            raise ValueError("probability is between 0 and 1")
        chosen = tuple(check_kind(k) for k in kinds)
        if not chosen:
            raise ValueError("a storm needs at least one kind")
        self.storm = Storm(probability, chosen, _methods(method), random.Random(seed),
                           int(retry_after), hold)
        return self.storm

    def clear(self) -> None:
        self.queue.clear()
        self.storm = None

    def take(self, method: str) -> Fault | None:
        """The fault this call gets, if any (counted as served)."""
        for fault in self.queue:
            if not fault.spent and fault.matches(method):
                fault.hits += 1
                return fault
        return self.storm.draw(method) if self.storm is not None else None

    @property
    def pending(self) -> list[Fault]:
        return [f for f in self.queue if not f.spent]

    def describe(self) -> dict[str, Any]:
        storm = self.storm
        return {"pending": [f.describe() for f in self.pending],
                "served": sum(f.hits for f in self.queue) + (storm.hits if storm else 0),
                "random": None if storm is None else {
                    "probability": storm.probability, "kinds": list(storm.kinds),
                    "methods": sorted(storm.methods) if storm.methods else None,
                    "hits": storm.hits}}

    def add_json(self, body: Any) -> dict[str, Any]:
        """The control API's POST /_sandbox/faults: one fault, or {"random": {...}}."""
        if not isinstance(body, dict):
            raise ValueError("send a JSON object")
        if "random" in body:
            spec = body["random"]
            if not isinstance(spec, dict) or "probability" not in spec:
                raise ValueError('"random" needs {"probability": p, ...}')
            self.randomly(float(spec["probability"]), **{
                k: spec[k] for k in ("kinds", "method", "seed", "retry_after", "hold")
                if k in spec})
            return self.describe()
        if "kind" not in body:
            raise ValueError('a fault needs "kind"')
        self.add(str(body["kind"]), **{
            k: body[k] for k in ("method", "times", "retry_after", "hold", "after_effect", "drop")
            if k in body})
        return self.describe()
