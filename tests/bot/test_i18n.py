"""Language catalogues: Dutch and English are complete and fill in the same placeholders."""

from __future__ import annotations

import string

from bot.i18n import catalogue, language_for, t


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_dutch_and_english_have_the_same_keys() -> None:
    assert set(catalogue("nl")) == set(catalogue("en"))


def test_every_text_has_the_same_placeholders_in_both_languages() -> None:
    english = catalogue("en")
    for key, dutch in catalogue("nl").items():
        assert _placeholders(dutch) == _placeholders(english[key]), key
        assert dutch.strip() and english[key].strip(), key


def test_slack_locales_map_to_our_languages() -> None:
    assert language_for("en-US", "nl") == "en"
    assert language_for("nl-NL", "en") == "nl"
    assert language_for("de-DE", "nl") == "nl"
    assert language_for(None, "en") == "en"


def test_placeholders_are_filled_in() -> None:
    assert "abc123" in t("nl", "errors.generic", ref="abc123")
