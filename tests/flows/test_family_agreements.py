"""The agreements for the family, in plain Dutch (B1) and English: what the family reads."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flows.family_agreements import FamilyAction, FamilyBodemeis, FamilyData, T, render

AMS = ZoneInfo("Europe/Amsterdam")

DATA = FamilyData(
    actions=(
        FamilyAction("Wijkteam", "Huisbezoek bij moeder en de kinderen", date(2027, 3, 17)),
        FamilyAction("", "Gesprek over de schoolgang", None),
    ),
    bodemeisen=(FamilyBodemeis("Vader komt niet bij de woning", "Veilig Thuis"),),
    next_meeting=datetime(2027, 3, 29, 10, tzinfo=AMS).astimezone(UTC),
    emergency_text="Bij acuut gevaar: 112. Veilig Thuis: 0800-2000.",
    made_at=datetime(2027, 3, 18, 9, tzinfo=AMS).astimezone(UTC),
)


def test_the_dutch_version_says_what_happens_who_does_it_and_when() -> None:
    markdown = render(DATA, "nl", AMS)
    assert markdown.startswith("# Onze afspraken\n")
    assert (
        "- **Wijkteam**: Huisbezoek bij moeder en de kinderen — uiterlijk 17 maart 2027"
    ) in markdown
    # An organisation nobody typed is "een hulpverlener", never a person.
    assert "- **Een hulpverlener**: Gesprek over de schoolgang\n" in markdown
    assert "## Wat in ieder geval moet gebeuren" in markdown
    assert "- Vader komt niet bij de woning — Veilig Thuis let hierop." in markdown
    assert "Het volgende overleg is op maandag 29 maart 2027, 10:00." in markdown
    assert "## Bij nood\n\n**Bij acuut gevaar: 112. Veilig Thuis: 0800-2000.**" in markdown
    assert "Gemaakt op 18 maart 2027." in markdown


def test_the_english_version_is_complete() -> None:
    markdown = render(DATA, "en", AMS)
    assert markdown.startswith("# Our agreements\n")
    assert "- **Wijkteam**: Huisbezoek bij moeder en de kinderen — by 17 March 2027" in markdown
    assert "What must happen in any case" in markdown
    assert "The next meeting is on Monday 29 March 2027, 10:00." in markdown
    assert "Made on 18 March 2027." in markdown


def test_nothing_planned_yet_is_said_plainly() -> None:
    empty = replace(DATA, actions=(), bodemeisen=(), next_meeting=None)
    markdown = render(empty, "nl", AMS)
    assert "Er staan nu geen acties open." in markdown
    assert "Er zijn nu geen bodemeisen." in markdown
    assert "De datum van het volgende overleg is nog niet bekend." in markdown


def test_the_family_version_has_no_scores_minutes_or_mentions() -> None:
    for lang in ("nl", "en"):
        markdown = render(DATA, lang, AMS)
        assert "![](@" not in markdown and "<@" not in markdown
        for word in ("schaal", "score", "mediaan", "notulen", "minutes", "Beeldvorming"):
            assert word.lower() not in markdown.lower()


def test_sentences_stay_short_for_b1_readers() -> None:
    """B1: short sentences. No fixed text of the document runs past twenty words."""
    for text in T.values():
        for sentence in re.split(r"[.?!]\s", text.nl):
            assert len(sentence.split()) <= 20, sentence


def test_both_languages_have_every_text_with_the_same_placeholders() -> None:
    for key, text in T.items():
        assert text.nl and text.en, key
        assert set(re.findall(r"{(\w+)}", text.nl)) == set(re.findall(r"{(\w+)}", text.en)), key
