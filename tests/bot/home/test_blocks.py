"""The home tab stays a valid Slack view however much someone has on their plate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.home.blocks import HOME_BLOCK_LIMIT, home_view
from flows.catalogue import load_catalogue
from storage.home import ActionLine, BodemeisLine, CaseLine, HomeData, PrepLine

TZ = ZoneInfo("Europe/Amsterdam")


def _busy(n: int) -> HomeData:
    return HomeData(
        cases=tuple(
            CaseLine(
                i,
                f"ZVH-{i:04d}",
                "directe_veiligheid",
                "G1",
                "procesregisseur",
                datetime(2026, 12, 1, 9, tzinfo=UTC),
                4.5,
                i % 3,
            )
            for i in range(n)
        ),
        actions=tuple(
            ActionLine(
                i, i, f"ZVH-{i:04d}", "Veiligheidsplan bespreken", date(2026, 12, 1), i % 2 == 0
            )
            for i in range(n)
        ),
        bodemeisen=tuple(
            BodemeisLine(
                i,
                i,
                f"ZVH-{i:04d}",
                "Geen contact met moeder",
                "nageleefd",
                datetime(2026, 11, 20, 9, tzinfo=UTC),
            )
            for i in range(n)
        ),
        prep=tuple(
            PrepLine(i, f"ZVH-{i:04d}", datetime(2026, 12, 2, 9, tzinfo=UTC)) for i in range(n)
        ),
    )


def _texts(view: dict) -> str:
    return str(view["blocks"])


def test_many_items_are_paged_and_every_page_is_a_valid_view() -> None:
    catalogue = load_catalogue()
    first = home_view("nl", _busy(120), catalogue, TZ)
    assert "Pagina 1 van" in _texts(first)
    pages = int(_texts(first).split("Pagina 1 van ")[1].split("'")[0])
    seen_cases = 0
    for page in range(pages):
        view = home_view("nl", _busy(120), catalogue, TZ, page=page)
        assert len(view["blocks"]) <= HOME_BLOCK_LIMIT
        for block in Block.parse_all(view["blocks"]):
            block.to_dict()  # raises when Slack's limits are broken
        seen_cases += _texts(view).count("· Directe veiligheid · Procesregisseur")
    assert seen_cases == 120  # nothing is lost between pages


def test_overdue_items_are_flagged_for_the_regisseur() -> None:
    view = home_view("nl", _busy(3), load_catalogue(), TZ)
    assert "te laat" in _texts(view)
    assert "te laat" in _texts(view)


def test_empty_parts_say_so_in_english_too() -> None:
    empty = HomeData(cases=_busy(1).cases, actions=(), bodemeisen=(), prep=())
    view = home_view("en", empty, load_catalogue(), TZ)
    assert "You have no open actions." in _texts(view)
    assert "You monitor no bodemeisen." in _texts(view)


def test_the_latest_score_names_its_scale() -> None:
    line = CaseLine(
        1,
        "ZVH-0001",
        "risicogestuurde_zorg",
        "G1",
        "deelnemer",
        None,
        6.0,
        0,
        latest_scale="directe_veiligheid.schaalvraag.bezorgdheid",
    )
    data = HomeData(cases=(line,), actions=(), bodemeisen=(), prep=())
    text = str(home_view("nl", data, load_catalogue(), TZ))
    assert "Laatste schaalscore (mediaan): 6 — schaal: Directe veiligheid (1 = zeer bezorgd" in text
