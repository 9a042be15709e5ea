"""The shipped catalogue: complete in both languages, with stable keys, labels and outcomes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flows.catalogue import CATALOGUE_PATH, load_catalogue, read_catalogue
from flows.decisions import resolve
from flows.errors import CatalogueError
from flows.model import Outcome, parent_key
from flows.text import Text


def test_phases_in_method_order_with_title_and_subtitle() -> None:
    catalogue = load_catalogue()
    assert catalogue.phase_keys == (
        "directe_veiligheid",
        "risicogestuurde_zorg",
        "herstelgerichte_zorg",
    )
    first = catalogue.phase("directe_veiligheid")
    assert first.title.nl == "Directe veiligheid"
    assert first.subtitle.nl == "Samenwerken aan veiligheid en het maken van een veiligheidsplan"


def test_unknown_phase_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="directe_veiligheid"):
        load_catalogue().phase("fase_4")


def test_every_text_has_dutch_and_english() -> None:
    catalogue = load_catalogue()
    texts = list(catalogue.texts())
    assert len(texts) > 150  # guards against checking an empty list
    for key, text in texts:
        assert text.nl.strip() and text.en.strip(), key
    for phase in catalogue.phases:
        overviews = [q.overview for s in phase.sections for q in s.questions if q.overview]
        for text in [*overviews, phase.goal_overview]:
            if text is not None:
                assert text.nl.strip() and text.en.strip(), phase.key


def test_english_is_a_translation_not_a_copy() -> None:
    same = [key for key, text in load_catalogue().texts() if text.nl == text.en]
    assert same == []


def test_keys_are_unique_and_nest_under_their_parent() -> None:
    catalogue = load_catalogue()
    keys = [key for key, _ in catalogue.texts()]
    assert len(keys) == len(set(keys))
    for phase in catalogue.phases:
        for section in phase.sections:
            assert parent_key(section.key) == phase.key
            for question in section.questions:
                assert parent_key(question.key) == section.key
                numbers = [p.key.rpartition(".")[2] for p in question.prompts]
                assert numbers == [str(n) for n in range(1, len(numbers) + 1)]


def test_known_keys_point_at_the_guidelines_text() -> None:
    texts = dict(load_catalogue().texts())
    assert texts["directe_veiligheid.beeldvorming.zorgen"].nl == (
        "Wat zijn de zorgen t.a.v. de onveiligheid?"
    )
    assert texts["directe_veiligheid.beeldvorming.zorgen.3"].nl == (
        "Top 3 geweldsincidenten: eerste, ergste en laatste"
    )
    assert texts["herstelgerichte_zorg.afsluitingsplan.plan.1"].nl.startswith(
        "Indien de casus afgesloten wordt"
    )


def test_default_catalogue_is_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()


def test_model_objects_cannot_be_changed_in_place() -> None:
    phase = load_catalogue().phase("directe_veiligheid")
    with pytest.raises(dataclasses.FrozenInstanceError):
        phase.key = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "Beeldvorming"),
        ("en", "Forming the picture"),
        ("en-GB", "Forming the picture"),
        ("nl_NL", "Beeldvorming"),
        ("de-DE", "Beeldvorming"),
        (None, "Beeldvorming"),
    ],
)
def test_text_picks_the_language_and_falls_back_to_dutch(lang: str | None, expected: str) -> None:
    assert Text(nl="Beeldvorming", en="Forming the picture").get(lang) == expected


def test_worry_scales_label_both_ends_so_the_direction_is_unmistakable() -> None:
    catalogue = load_catalogue()
    for key in ("directe_veiligheid", "risicogestuurde_zorg"):
        scale = catalogue.phase(key).scale
        assert "hoe bezorgd ben je" in scale.text.nl
        assert scale.label(1) == scale.label_1 and scale.label(10) == scale.label_10
        assert scale.label_1.nl.startswith("Zeer bezorgd")
        assert scale.label_1.en.startswith("Very worried")
        assert scale.label_10.nl.startswith("Niet bezorgd")
        assert scale.label_10.en.startswith("Not worried")
        assert scale.label(5) is None
    assert "veilig" in catalogue.phase("directe_veiligheid").scale.label_10.nl


def test_quality_of_life_scale_runs_from_very_low_to_best_achievable() -> None:
    scale = load_catalogue().phase("herstelgerichte_zorg").scale
    assert "kwaliteit van leven" in scale.text.nl
    assert scale.label_1.en == "Very low quality of life"
    assert "best achievable" in scale.label_10.en


def test_every_scale_asks_for_the_onderbouwing_and_the_familys_view() -> None:
    for phase in load_catalogue().phases:
        prompts = [p.text.nl for p in phase.scale.prompts]
        assert prompts[0] == "Wat is de onderbouwing voor het cijfer?"
        assert prompts[-1] == "Wat is de visie van betrokkenen?"


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            "directe_veiligheid",
            {
                ("oordeelsvorming.zorgen_of_risicos", "nog_zorgen", "directe_veiligheid", False),
                (
                    "oordeelsvorming.zorgen_of_risicos",
                    "door_naar_risicogestuurde_zorg",
                    "risicogestuurde_zorg",
                    False,
                ),
            },
        ),
        (
            "risicogestuurde_zorg",
            {
                ("beeldvorming.stand_van_zaken", "geen_zorgen", "risicogestuurde_zorg", False),
                (
                    "beeldvorming.stand_van_zaken",
                    "terug_naar_directe_veiligheid",
                    "directe_veiligheid",
                    False,
                ),
                (
                    "oordeelsvorming.opnieuw_zorgen",
                    "geen_nieuwe_zorgen",
                    "risicogestuurde_zorg",
                    False,
                ),
                (
                    "oordeelsvorming.opnieuw_zorgen",
                    "terug_naar_directe_veiligheid",
                    "directe_veiligheid",
                    False,
                ),
                ("oordeelsvorming.zorgen_of_herstel", "nog_zorgen", "risicogestuurde_zorg", False),
                (
                    "oordeelsvorming.zorgen_of_herstel",
                    "door_naar_herstelgerichte_zorg",
                    "herstelgerichte_zorg",
                    False,
                ),
            },
        ),
        (
            "herstelgerichte_zorg",
            {
                ("beeldvorming.stand_van_zaken", "geen_zorgen", "herstelgerichte_zorg", False),
                (
                    "beeldvorming.stand_van_zaken",
                    "terug_naar_directe_veiligheid",
                    "directe_veiligheid",
                    False,
                ),
                (
                    "beeldvorming.stand_van_zaken",
                    "terug_naar_risicogestuurde_zorg",
                    "risicogestuurde_zorg",
                    False,
                ),
                (
                    "oordeelsvorming.opnieuw_zorgen",
                    "geen_nieuwe_zorgen",
                    "herstelgerichte_zorg",
                    False,
                ),
                (
                    "oordeelsvorming.opnieuw_zorgen",
                    "terug_naar_directe_veiligheid",
                    "directe_veiligheid",
                    False,
                ),
                (
                    "oordeelsvorming.opnieuw_zorgen",
                    "terug_naar_risicogestuurde_zorg",
                    "risicogestuurde_zorg",
                    False,
                ),
                ("oordeelsvorming.stappen", "nog_stappen", "herstelgerichte_zorg", False),
                ("oordeelsvorming.stappen", "afsluiten", None, True),
            },
        ),
    ],
)
def test_decision_points_and_their_branches_per_phase(
    phase: str, expected: set[tuple[str, str, str | None, bool]]
) -> None:
    current = load_catalogue().phase(phase)
    actual = set()
    for decision in current.decisions:
        outcome = resolve(current, decision)
        question = decision.question_key.partition(".")[2]
        actual.add((question, decision.name, outcome.next_phase, outcome.closed))
        assert decision.text.nl and decision.text.en
        assert max(len(decision.text.nl), len(decision.text.en)) <= 75  # a button's limit
    assert actual == expected


def test_only_herstel_can_close_and_only_it_has_an_afsluitingsplan() -> None:
    for phase in load_catalogue().phases:
        closes = any(d.outcome is Outcome.CLOSE for d in phase.decisions)
        has_plan = phase.section("afsluitingsplan") is not None
        assert closes == has_plan == (phase.key == "herstelgerichte_zorg")


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    source = CATALOGUE_PATH.read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / "catalogue.yaml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_catalogue_whose_outcome_moves_the_wrong_way_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "target: risicogestuurde_zorg", "target: directe_veiligheid")
    with pytest.raises(CatalogueError, match="'forward' must name a later phase"):
        read_catalogue(path)


def test_a_catalogue_whose_branch_is_too_long_for_a_button_is_refused(tmp_path: Path) -> None:
    path = broken_copy(
        tmp_path,
        'nl: "Indien het eerste, ga door hieronder"',
        'nl: "Indien het eerste, ga door hieronder, want er zijn nog zorgen om de veiligheid"',
    )
    with pytest.raises(CatalogueError, match="a button: at most 75 characters"):
        read_catalogue(path)


def test_a_catalogue_question_without_english_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "    en: What is this help aimed at?\n", "\n")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    assert "'directe_veiligheid.vooraf.hulpverlening.1'" in str(caught.value)
    assert "missing 'en'" in str(caught.value)
