"""Language catalogues: Dutch and English are complete and fill in the same placeholders."""

from __future__ import annotations

import string

import yaml

from bot.kit.i18n import LOCALES, catalogue, language_for, t


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


class _StrictLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys without a word; a catalogue must not."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"duplicate keys {duplicates} near line {node.start_mark.line + 1}"
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def test_no_catalogue_repeats_a_key() -> None:
    for lang in ("nl", "en"):
        with (LOCALES / f"{lang}.yaml").open(encoding="utf-8") as handle:
            yaml.load(handle, Loader=_StrictLoader)


def test_every_computed_key_exists() -> None:
    """Keys built at run time from enums (refusals, roles, moves, warnings) all have a text."""
    from flows.errors import MoveCode
    from flows.personal_data import CaseCodeProblem, WarningKind
    from storage.models import Attendance, Role

    keys = (
        [f"moves.{code.value}" for code in MoveCode]
        + [f"case_form.code_{problem.value}" for problem in CaseCodeProblem]
        + [f"thread.kind_{kind.value}" for kind in WarningKind]
        + [f"roles.{role.value}" for role in Role]
        + [f"attendance.{a.value}" for a in Attendance]
        + [f"attendance.form_{a.value}" for a in Attendance]
        + [f"case_form.channel_{where}" for where in ("public", "dm", "unknown")]
        + [f"home.answer_{a}" for a in ("nageleefd", "niet_nageleefd", "onbekend", "geen_antwoord")]
    )
    for lang in ("nl", "en"):
        missing = [key for key in keys if key not in catalogue(lang)]
        assert missing == [], lang
