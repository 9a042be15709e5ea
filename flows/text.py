"""Bilingual text: every user-facing string of the method exists in Dutch and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["nl", "en"]
LANGUAGES: tuple[Lang, ...] = ("nl", "en")
DEFAULT_LANG: Lang = "nl"


def normalise_space(value: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) into one space."""
    return " ".join(value.split())


def language_of(locale: str | None) -> Lang:
    """Map a Slack locale such as "en-GB" or "nl-NL" to one of our languages.

    Dutch is the default: it is the guideline's language and the ZVH's working language, so a
    locale we have no translation for (say "de-DE") reads the original rather than a guess.
    """
    if locale and locale.lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class Text:
    nl: str
    en: str

    def get(self, lang: str | None = None) -> str:
        """The text in `lang` (a language or a locale like "en-US"); Dutch when unknown."""
        return self.en if language_of(lang) == "en" else self.nl

    def replace(self, *, nl: str | None = None, en: str | None = None) -> Text:
        return Text(nl=self.nl if nl is None else nl, en=self.en if en is None else en)
