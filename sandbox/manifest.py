"""Reading an app manifest, so the sandbox installs the app with exactly the slash commands,
event subscriptions and bot scopes it declares — and rejects what it forgot to declare."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Manifest:
    name: str | None
    commands: tuple[str, ...]
    events: frozenset[str]
    scopes: frozenset[str]


def load_manifest(source: str | Path | dict[str, Any]) -> Manifest:
    """A manifest from a YAML/JSON file path or an already parsed dict."""
    data = source if isinstance(source, dict) else yaml.safe_load(Path(source).read_text("utf-8"))
    features = data.get("features") or {}
    settings = data.get("settings") or {}
    return Manifest(
        name=(data.get("display_information") or {}).get("name"),
        commands=tuple(c["command"] for c in features.get("slash_commands") or []),
        events=frozenset((settings.get("event_subscriptions") or {}).get("bot_events") or []),
        scopes=frozenset(((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []),
    )
