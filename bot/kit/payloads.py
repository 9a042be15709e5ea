"""Entity ids that travel in button values and private_metadata, validated on arrival.

Slack hands back whatever a client sends, so every value is treated as hostile: strict JSON,
known keys only, positive integers, bounded size. A value that fails gets `ForgedValue`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_VALUE_CHARS = 2000


class ForgedValue(ValueError):
    """A button value or private_metadata that we did not produce."""


@dataclass(frozen=True, slots=True)
class Ref:
    """What a button or modal refers to: a case, a meeting (and the version it was drawn at)."""

    case_id: int | None = None
    meeting_id: int | None = None
    version: int | None = None
    choice: str | None = None  # e.g. the decision key or a vote value
    channel_id: str | None = None
    scale_round: int | None = None  # the Schaalvraag's voting round a vote or reveal is for

    def encode(self) -> str:
        data: dict[str, Any] = {}
        for short, value in (
            ("c", self.case_id),
            ("m", self.meeting_id),
            ("v", self.version),
            ("x", self.choice),
            ("ch", self.channel_id),
            ("r", self.scale_round),
        ):
            if value is not None:
                data[short] = value
        return json.dumps(data, separators=(",", ":"))


_INTS = {"c": "case_id", "m": "meeting_id", "v": "version", "r": "scale_round"}
_STRS = {"x": "choice", "ch": "channel_id"}


def decode(raw: object) -> Ref:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_VALUE_CHARS:
        raise ForgedValue("missing or oversized value")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise ForgedValue("not JSON") from None
    if not isinstance(data, dict) or not set(data) <= set(_INTS) | set(_STRS):
        raise ForgedValue("unexpected keys")
    fields: dict[str, Any] = {}
    for short, name in _INTS.items():
        if short in data:
            value = data[short]
            if type(value) is not int or value < 0 or value > 2**31:
                raise ForgedValue(f"bad {name}")
            fields[name] = value
    for short, name in _STRS.items():
        if short in data:
            value = data[short]
            if not isinstance(value, str) or not value or len(value) > 120:
                raise ForgedValue(f"bad {name}")
            fields[name] = value
    return Ref(**fields)
