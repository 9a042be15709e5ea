"""The veiligheidsplan as canvas Markdown, in Dutch and English: what a regisseur opening the
case channel's canvas reads."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.document import inline, mention
from flows.veiligheidsplan import (
    MAX_CHARS,
    Person,
    PlanAbsence,
    PlanAction,
    PlanBodemeis,
    PlanData,
    PlanEscalation,
    PlanPostponement,
    T,
    render,
)

AMS = ZoneInfo("Europe/Amsterdam")
EMERGENCY = "Bij acuut gevaar: 112. Veilig Thuis: 0800-2000."


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)  # type: ignore[misc]


PLAN = PlanData(
    case_code="ZVH-2027-016",
    phase="directe_veiligheid",
    bodemeisen=(
        PlanBodemeis(
            text="Vader komt niet bij de woning",
            monitor=Person("U0MO", "Veilig Thuis"),
            interval_days=7,
            version=2,
            since=at(2027, 3, 3, 10),
            last_answer="niet_nageleefd",
            last_checked=date(2027, 3, 8),
        ),
        PlanBodemeis(
            text="Moeder belt wekelijks met het wijkteam",
            monitor=Person("U0KARIN", "Veilig Thuis"),
            interval_days=14,
            version=1,
            since=at(2027, 3, 1, 11),
            last_answer=None,
            last_checked=None,
        ),
    ),
    actions=(
        PlanAction(
            text="Huisbezoek door het wijkteam",
            owner=Person("U0SANNE", "Wijkteam", stand_in="U0MO"),
            due=date(2027, 3, 17),
            postponements=(PlanPostponement(date(2027, 3, 10), date(2027, 3, 17), False),),
        ),
        PlanAction(
            text="Stopgesprek met vader",
            owner=Person(None, "Politie"),
            due=date(2027, 3, 26),
        ),
    ),
    escalation_plan="Veilig Thuis belt binnen een dag met moeder en de politie",
    informing="De casusregisseur mailt iedereen na elk huisbezoek",
    next_meeting=at(2027, 3, 29, 10),
    emergency_text=EMERGENCY,
    escalations=(
        PlanEscalation(
            kind="bodemeis_not_met",
            about="Vader komt niet bij de woning",
            raised_at=at(2027, 3, 8, 10),
            owner="U0KARIN",
        ),
    ),
    absences=(PlanAbsence("U0SANNE", date(2027, 3, 19), "U0MO"),),
    as_of=at(2027, 3, 18, 9),
)


def headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_the_dutch_plan_has_its_sections_in_order_and_says_it_is_rewritten() -> None:
    markdown = render(PLAN, "nl", AMS)
    assert headings(markdown) == [
        "# Veiligheidsplan ZVH-2027-016",
        "## Bij acuut gevaar",
        "## Bodemeisen",
        "## Als een bodemeis niet wordt nagekomen",
        "### Openstaande escalaties",
        "## Acties",
        "## Wie informeert wie",
        "## Volgend overleg",
        "## Afwezig",
    ]
    assert "Wijzigingen met de hand worden overschreven" in markdown
    assert f"**{inline(EMERGENCY)}**" in markdown
    assert "Bijgewerkt: donderdag 18 maart 2027, 09:00 · Fase: Directe veiligheid" in markdown


def test_bodemeisen_show_their_monitor_as_a_canvas_mention_and_their_last_check() -> None:
    markdown = render(PLAN, "nl", AMS)
    assert (
        "- **Vader komt niet bij de woning** — bewaakt door ![](@U0MO) (Veilig Thuis), elke 7"
        " dagen. Laatste controle (8 maart 2027): **niet nagekomen**. (versie 2, sinds 3 maart"
        " 2027)"
    ) in markdown
    assert "elke 14 dagen. Nog niet gecontroleerd." in markdown
    assert "<@" not in markdown  # not rendered in canvases


def test_actions_show_who_when_status_stand_in_and_every_postponement() -> None:
    markdown = render(PLAN, "nl", AMS)
    assert (
        "- **Huisbezoek door het wijkteam** — ![](@U0SANNE) (Wijkteam) (vervangen door"
        " ![](@U0MO)), uiterlijk 17 maart 2027. **Te laat.** Uitgesteld: van 10 maart 2027"
        " naar 17 maart 2027."
    ) in markdown
    assert "- **Stopgesprek met vader** — Politie, uiterlijk 26 maart 2027. Open." in markdown


def test_the_english_plan_says_the_same_in_english() -> None:
    markdown = render(PLAN, "en", AMS)
    assert "Edits made by hand are overwritten" in markdown
    assert "## In an emergency" in markdown and "## Next meeting" in markdown
    assert "Monday 29 March 2027, 10:00" in markdown
    assert "Last check (8 March 2027): **not met**." in markdown
    assert "picked up by ![](@U0KARIN)" in markdown


def test_an_empty_plan_says_what_is_missing() -> None:
    empty = replace(
        PLAN,
        bodemeisen=(),
        actions=(),
        escalation_plan=None,
        informing=None,
        next_meeting=None,
        escalations=(),
        absences=(),
    )
    markdown = render(empty, "nl", AMS)
    assert "Er zijn geen bodemeisen van kracht." in markdown
    assert "Nog niet afgesproken. Bespreek dit in het volgende overleg." in markdown
    assert "**Nog niet gepland.**" in markdown
    assert "Openstaande escalaties" not in markdown and "## Afwezig" not in markdown


def test_an_unpicked_escalation_stands_out() -> None:
    unowned = replace(PLAN, escalations=(replace(PLAN.escalations[0], owner=None),))
    assert "**nog door niemand opgepakt**" in render(unowned, "nl", AMS)


@pytest.mark.parametrize(
    "typed",
    [
        "![](@U0BOSS) weet ervan",
        "# Kop\nnieuwe regel",
        "- een lijst",
        "**vet** en [link](https://example.org)",
        "<@U0BOSS>",
    ],
)
def test_typed_text_cannot_mention_link_or_format(typed: str) -> None:
    plan = replace(PLAN, informing=typed)
    markdown = render(plan, "nl", AMS)
    section = markdown.split("## Wie informeert wie\n\n")[1].split("\n")[0]
    assert "![](@U0BOSS)" not in section and "<@U0BOSS>" not in section
    assert not section.startswith(("#", "- ", "**vet"))
    assert "](https" not in section


def test_a_very_long_plan_is_shortened_visibly_and_stays_under_the_canvas_limit() -> None:
    long_text = "Een zeer uitvoerige afspraak " * 150  # about 4,300 characters
    many = tuple(
        PlanAction(text=long_text, owner=Person("U0SANNE", "Wijkteam"), due=date(2027, 4, 1))
        for _ in range(60)
    )
    markdown = render(replace(PLAN, actions=many), "nl", AMS)
    assert len(markdown) <= MAX_CHARS
    assert T["shortened"].nl in markdown
    assert markdown.count("- **Een zeer uitvoerige") == 60  # every action is still there


def test_both_languages_have_every_text_with_the_same_placeholders() -> None:
    for key, text in T.items():
        assert text.nl and text.en, key
        assert set(re.findall(r"{(\w+)}", text.nl)) == set(re.findall(r"{(\w+)}", text.en)), key


def test_a_mention_is_only_ever_a_slack_user_id() -> None:
    assert mention("U0MO") == "![](@U0MO)"
    with pytest.raises(ValueError):
        mention("Piet Jansen")
