"""The Schaalvraag's arithmetic: strict scores, tallies, spread, outliers and trend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.scale import (
    RoundScores,
    Tally,
    action_ts_key,
    by_score,
    outliers,
    parse_score,
    trend,
)


@pytest.mark.parametrize("raw", ["1", "5", "10", 1, 10])
def test_scores_as_our_buttons_send_them_are_accepted(raw: object) -> None:
    assert parse_score(raw) == int(raw)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "raw", ["0", "11", "x", "", " 7", "07", "7.0", "-1", "1e1", 0, 11, 7.0, True, None, "١"]
)
def test_anything_else_is_refused(raw: object) -> None:
    assert parse_score(raw) is None


def test_action_ts_keys_sort_like_the_numbers_they_are() -> None:
    raw = ["999999999.9", "1712345678.000001", "1712345678.5", "1712345679", "10.25"]
    keys = [action_ts_key(r) for r in raw]
    assert all(k is not None and len(k) == 17 for k in keys)
    assert sorted(raw, key=float) == [r for _, r in sorted(zip(keys, raw, strict=True))]


@pytest.mark.parametrize(
    "raw", ["", "abc", "1.2.3", "-1.0", "1.1234567", "12345678901.0", "١٢.٣", None, 5]
)
def test_malformed_action_ts_is_refused(raw: object) -> None:
    assert action_ts_key(raw) is None


def test_a_tally_has_median_minimum_maximum_and_spread() -> None:
    tally = Tally.of([3, 7, 7, 8])
    assert tally.counts[7] == 2 and tally.counts[1] == 0 and tally.total == 4
    assert tally.median == 7.0
    assert (tally.minimum, tally.maximum, tally.spread, tally.most) == (3, 8, 5, 2)
    assert Tally.of([4, 5]).median == 4.5


def test_an_empty_tally_has_no_median() -> None:
    tally = Tally.of([])
    assert tally.total == 0 and tally.median is None and tally.spread == 0
    assert not tally.far_apart(1)


def test_a_tally_from_group_by_counts_matches_the_scores() -> None:
    assert Tally.from_counts({3: 1, 7: 2}) == Tally.of([7, 3, 7])
    with pytest.raises(ValueError):
        Tally.from_counts({11: 1})
    with pytest.raises(ValueError):
        Tally.of([0])


def test_far_apart_scores_ask_the_lowest_and_highest_scorers() -> None:
    votes = {"U1": 3, "U2": 6, "U3": 6, "U4": 3, "U5": 5}
    found = outliers(votes, threshold=3)
    assert found is not None
    assert found.lowest == ("U1", "U4") and found.highest == ("U2", "U3")
    assert outliers(votes, threshold=4) is None
    assert outliers({"U1": 1}, threshold=0) is None  # one voter has nobody to differ from


def test_voters_are_grouped_by_score() -> None:
    assert by_score({"U2": 7, "U1": 7, "U3": 2}) == {2: ("U3",), 7: ("U1", "U2")}


@given(st.lists(st.integers(min_value=1, max_value=10), max_size=300))
def test_tally_invariants(scores: list[int]) -> None:
    tally = Tally.of(scores)
    assert tally.total == len(scores)
    if scores:
        assert tally.minimum == min(scores) and tally.maximum == max(scores)
        assert tally.minimum <= (tally.median or 0) <= tally.maximum
        assert tally.spread == max(scores) - min(scores)


def test_the_trend_gives_each_meeting_its_rounds_and_the_family_view() -> None:
    day = datetime(2026, 3, 3, 9, tzinfo=UTC)
    rounds = [
        RoundScores(1, day, "directe_veiligheid", 1, Tally.of([2, 3, 9])),
        RoundScores(1, day, "directe_veiligheid", 2, Tally.of([3, 4, 4]), family=2),
        RoundScores(2, day, "risicogestuurde_zorg", 1, Tally.of([])),
        RoundScores(3, day, "risicogestuurde_zorg", 1, Tally.of([6, 7])),
    ]
    points = trend(rounds)
    assert [p.meeting_id for p in points] == [1, 2, 3]
    assert points[0].rounds == ((1, 3.0), (2, 4.0)) and points[0].median == 4.0
    assert points[0].family == 2
    assert points[1].median is None and points[2].median == 6.5
