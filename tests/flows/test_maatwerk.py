"""A region adapts the method with a maatwerk file; a bad file tells the admin what to fix."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from flows.catalogue import load_catalogue
from flows.errors import CatalogueError
from flows.overview import overview
from flows.steps import phase_steps

EXAMPLE = Path(__file__).resolve().parents[2] / "flows" / "maatwerk.example.yaml"


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "maatwerk.yaml"
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def error_for(tmp_path: Path, content: str) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write(tmp_path, content))
    return caught.value


def test_no_maatwerk_and_an_empty_file_both_give_the_guideline(tmp_path: Path) -> None:
    assert load_catalogue(None) == load_catalogue()
    assert load_catalogue(write(tmp_path, "# nothing yet\n")) == load_catalogue()
    headings_only = "version: 1\nskip:\nreword:\nadd:\n  # to do\n"
    assert load_catalogue(write(tmp_path, headings_only)) == load_catalogue()


def test_the_example_file_does_what_its_comments_say() -> None:
    catalogue = load_catalogue(EXAMPLE)
    phase = catalogue.phase("directe_veiligheid")
    assert phase.section("vooraf") is None
    assert catalogue.phase("risicogestuurde_zorg").section("vooraf") is not None
    questions = [q.key for q in phase.section("beeldvorming").questions]
    assert questions[:2] == [
        "directe_veiligheid.beeldvorming.zorgen",
        "directe_veiligheid.beeldvorming.kinderen",
    ]
    assert phase.scale.label_1.nl == "Zeer bezorgd: er is nu direct gevaar"
    label_10 = catalogue.phase("herstelgerichte_zorg").scale.label_10
    assert label_10.nl == "Uitstekend: het hoogst haalbare voor dit gezin"
    assert label_10.en == "The best achievable for this family"  # en left as it was
    contact = phase.section("afspraken").questions[0].prompts[-1]
    assert contact.key == "directe_veiligheid.afspraken.samenwerking.woordvoering"
    assert phase_steps(phase)[0].key == "directe_veiligheid.beeldvorming.zorgen"


def test_rewording_only_dutch_keeps_the_english(tmp_path: Path) -> None:
    catalogue = load_catalogue(
        write(
            tmp_path,
            """
            reword:
              risicogestuurde_zorg.beeldvorming.krachten.1:
                nl: Wie steunt ieder gezinslid?
            """,
        )
    )
    prompt = catalogue.phase("risicogestuurde_zorg").section("beeldvorming").questions[2].prompts[0]
    assert prompt.text.nl == "Wie steunt ieder gezinslid?"
    assert prompt.text.en == "What sources of support does each family member have?"


def test_a_reworded_question_shows_its_new_wording_in_the_overview(tmp_path: Path) -> None:
    catalogue = load_catalogue(
        write(
            tmp_path,
            """
            reword:
              directe_veiligheid.beeldvorming.krachten:
                nl: Wat gaat er goed in het gezin?
                en: What is going well in the family?
              directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen:
                en: "Still worried: go on below"
            """,
        )
    )
    rows = {row.key: row for row in overview(catalogue).rows}
    assert "Wat gaat er goed in het gezin?" in [t.nl for t in rows["beeldvorming"].cells[0]]
    stay = catalogue.option("directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen")
    assert stay is not None and stay.text.en == "Still worried: go on below"
    assert stay.text.nl == "Indien het eerste, ga door hieronder"


def test_skipping_the_last_question_of_a_section_removes_the_section(tmp_path: Path) -> None:
    catalogue = load_catalogue(
        write(
            tmp_path,
            """
            skip:
              - herstelgerichte_zorg.vooraf.beeld_van_het_gezin
              - herstelgerichte_zorg.vooraf.hulpverlening
              - herstelgerichte_zorg.oordeelsvorming.nodig
            """,
        )
    )
    phase = catalogue.phase("herstelgerichte_zorg")
    assert phase.section("vooraf") is None
    keys = [step.key for step in phase_steps(phase)]
    assert "herstelgerichte_zorg.oordeelsvorming.nodig" not in keys
    assert "herstelgerichte_zorg.oordeelsvorming.stappen" in keys


def test_skipping_a_section_and_one_of_its_questions_is_not_an_error(tmp_path: Path) -> None:
    catalogue = load_catalogue(
        write(
            tmp_path,
            """
            skip:
              - directe_veiligheid.besluitvorming
              - directe_veiligheid.besluitvorming.brainstorm
            """,
        )
    )
    assert catalogue.phase("directe_veiligheid").section("besluitvorming") is None


def test_added_question_can_come_first_and_carry_prompts(tmp_path: Path) -> None:
    catalogue = load_catalogue(
        write(
            tmp_path,
            """
            add:
              - key: risicogestuurde_zorg.besluitvorming.eerder
                after: risicogestuurde_zorg.besluitvorming
                nl: Wat is er eerder geprobeerd?
                en: What has been tried before?
                prompts:
                  - {nl: Met welk resultaat?, en: With what result?}
              - key: risicogestuurde_zorg.schaalvraag.bezorgdheid.school
                after: risicogestuurde_zorg.schaalvraag.bezorgdheid.1
                nl: Hoe kijkt school ernaar?
                en: How does the school see it?
            """,
        )
    )
    phase = catalogue.phase("risicogestuurde_zorg")
    first = phase.section("besluitvorming").questions[0]
    assert first.text.en == "What has been tried before?"
    assert [p.key for p in first.prompts] == ["risicogestuurde_zorg.besluitvorming.eerder.1"]
    assert phase.scale.prompts[1].text.nl == "Hoe kijkt school ernaar?"


def test_every_problem_is_reported_at_once_with_file_line_and_key(tmp_path: Path) -> None:
    error = error_for(
        tmp_path,
        """
        skip:
          - directe_veiligheid.beeldvorming.zorgn
        reword:
          directe_veiligheid.beeldvorming.zorgen:
            nl: ""
        add:
          - key: directe_veiligheid.beeldvorming.nieuw
            after: directe_veiligheid.beeldvorming.zorgen
            nl: Een nieuwe vraag?
        """,
    )
    message = str(error)
    assert str(error.path) in message and "3 problems" in message
    assert "line 3, 'directe_veiligheid.beeldvorming.zorgn': there is no such key" in message
    assert "did you mean 'directe_veiligheid.beeldvorming.zorgen'?" in message
    assert "line 6, 'directe_veiligheid.beeldvorming.zorgen': 'nl' of the rewording is empty" in (
        message
    )
    assert "'directe_veiligheid.beeldvorming.nieuw': the addition is missing 'en'" in message
    assert [p.line for p in error.problems] == [3, 6, 8]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("skip:\n  - a\n reword: x\n", "line 3: this is not valid YAML"),
        ("skip: [a]\nskip: [b]\n", "'skip' appears twice in the same block (first on line 1)"),
        (
            "- directe_veiligheid.vooraf\n",
            "must be a block of 'name: value' lines, but it is a list",
        ),
        ("skipp: []\n", "unknown setting 'skipp'; allowed here: add, reword, skip, version"),
        ("version: 2\n", "'version' must be 1"),
        ("skip: directe_veiligheid.vooraf\n", "'skip' must be a list"),
        ("skip:\n  - 12\n", "a key must be text, not the number 12"),
        (
            "reword:\n  directe_veiligheid.titel: Veiligheid\n",
            "put the new text under 'nl:' and/or 'en:'",
        ),
        (
            "reword:\n  directe_veiligheid.titel:\n    dutch: Veiligheid\n",
            "unknown setting 'dutch'; allowed here: en, nl",
        ),
        ("skip:\n  - directe_veiligheid.schaalvraag\n", "cannot be skipped: it is the Schaalvraag"),
        (
            "skip:\n  - directe_veiligheid.oordeelsvorming\n",
            "holds a decision point of the guideline "
            "(directe_veiligheid.oordeelsvorming.zorgen_of_risicos)",
        ),
        (
            "skip:\n  - risicogestuurde_zorg.beeldvorming.stand_van_zaken\n",
            "cannot be skipped: it is one of the guideline's decision points",
        ),
        (
            "skip:\n  - herstelgerichte_zorg.oordeelsvorming.stappen.afsluiten\n",
            "branches cannot be skipped",
        ),
        ("skip:\n  - directe_veiligheid.afspraken\n", "holds the Afspraken over samenwerking"),
        (
            "reword:\n  directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen:\n"
            "    nl: Indien er nog zorgen zijn om de directe veiligheid van de betrokkenen, ga "
            "verder met de volgende vraag\n",
            "the nl text is a button: at most 75 characters",
        ),
        ("skip:\n  - risicogestuurde_zorg\n", "phases cannot be skipped"),
        (
            "add:\n  - key: directe_veiligheid.schaalvraag.extra\n"
            "    after: directe_veiligheid.schaalvraag\n    nl: a\n    en: b\n",
            "the Schaalvraag has exactly one question; add prompts to it instead",
        ),
        (
            "add:\n  - key: directe_veiligheid.beeldvorming.zorgen\n"
            "    after: directe_veiligheid.beeldvorming\n    nl: a\n    en: b\n",
            "this key already exists; use 'reword'",
        ),
        (
            "add:\n  - key: directe_veiligheid.beeldvorming.Nieuw\n"
            "    after: directe_veiligheid.beeldvorming\n    nl: a\n    en: b\n",
            "lowercase letters, digits and underscores",
        ),
        (
            "add:\n  - key: directe_veiligheid.beeldvorming.nieuw\n"
            "    after: risicogestuurde_zorg.beeldvorming.krachten\n    nl: a\n    en: b\n",
            "'after' must name an item in 'directe_veiligheid.beeldvorming'",
        ),
        (
            "add:\n  - key: directe_veiligheid.beeldvorming.nieuw\n"
            "    after: directe_veiligheid.beeldvorming\n    nl: 12\n    en: b\n",
            "'nl' of the addition must be text, but it is the number 12",
        ),
    ],
)
def test_a_bad_file_says_what_to_change(tmp_path: Path, content: str, expected: str) -> None:
    error = error_for(tmp_path, content)
    assert str(error).startswith(f"{tmp_path / 'maatwerk.yaml'}: ")
    assert expected in str(error)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=re.escape("nope.yaml: the file does not exist")):
        load_catalogue(tmp_path / "nope.yaml")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "maatwerk.yaml"
    path.write_bytes("reword: {}\n# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue(path)
