"""User-facing text from the language catalogues in bot/locales (DESIGN §7).

Dutch is the default; English is complete (a test checks both catalogues have every key).
A user's language follows their Slack locale where Slack tells us, else the setting.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("nl", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (LOCALES / f"{lang}.yaml").open(encoding="utf-8") as handle:
        return _flatten(yaml.safe_load(handle) or {})


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value).rstrip("\n")
    return flat


def t(lang: str, key: str, /, **values: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled in."""
    text = catalogue(lang if lang in LANGUAGES else "nl")[key]
    return text.format(**values) if values else text


def language_for(locale: str | None, default: str) -> str:
    """Map a Slack locale such as 'en-US' or 'nl-NL' to one of our languages."""
    if locale:
        short = locale.split("-", 1)[0].lower()
        if short in LANGUAGES:
            return short
    return default
