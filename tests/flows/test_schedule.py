"""When reminders are due, as the people in Amsterdam see it on their wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import parse_working_hours
from flows.schedule import (
    DEFAULT_HOURS,
    DEFAULT_MAX_MEETING_INTERVAL_DAYS,
    POLICIES,
    Expiry,
    Hours,
    ReminderKind,
    add_months,
    add_working_days,
    add_working_time,
    due_in_working_hours,
    end_of_next_working_day,
    exists_locally,
    expires_at,
    is_working_moment,
    local_moment,
    meeting_timing,
    next_occurrence,
    next_working_moment,
    occurrence_key,
    previous_working_moment,
    working_days_before,
)

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = DEFAULT_HOURS  # Mon–Fri 08:00–18:00


def ams(*args: int) -> datetime:
    """An Amsterdam wall-clock time as the aware UTC instant the database stores."""
    return datetime(*args, tzinfo=AMS).astimezone(UTC)  # type: ignore[misc]


def wall(moment: datetime) -> str:
    return moment.astimezone(AMS).strftime("%a %Y-%m-%d %H:%M %Z")


# ----- working hours -----


def test_inside_working_hours_nothing_moves() -> None:
    tuesday_10 = ams(2026, 3, 3, 10, 0)
    assert next_working_moment(tuesday_10, HOURS, AMS) == tuesday_10


def test_friday_evening_moves_to_monday_opening() -> None:
    assert wall(next_working_moment(ams(2026, 3, 6, 18, 0), HOURS, AMS)) == (
        "Mon 2026-03-09 08:00 CET"
    )


def test_early_morning_moves_to_the_same_day_opening() -> None:
    assert wall(next_working_moment(ams(2026, 3, 4, 6, 15), HOURS, AMS)) == (
        "Wed 2026-03-04 08:00 CET"
    )


def test_weekend_before_the_march_clock_change_opens_in_summer_time() -> None:
    # Saturday 28 March is winter time; the next opening, Monday 30 March, is summer time.
    opening = next_working_moment(ams(2026, 3, 28, 12, 0), HOURS, AMS)
    assert wall(opening) == "Mon 2026-03-30 08:00 CEST"
    assert opening == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_bot_config_working_hours_fit() -> None:
    hours = parse_working_hours("mon-thu 09:00-17:00")
    assert wall(next_working_moment(ams(2026, 3, 5, 17, 0), hours, AMS)) == (
        "Mon 2026-03-09 09:00 CET"
    )


def test_previous_working_moment_is_just_before_closing() -> None:
    assert wall(previous_working_moment(ams(2026, 3, 9, 7, 0), HOURS, AMS)) == (
        "Fri 2026-03-06 17:59 CET"
    )


def test_add_working_days_skips_the_weekend() -> None:
    assert wall(add_working_days(ams(2026, 3, 6, 10, 30), 1, HOURS, AMS)) == (
        "Mon 2026-03-09 10:30 CET"
    )
    assert wall(add_working_days(ams(2026, 3, 6, 10, 30), 5, HOURS, AMS)) == (
        "Fri 2026-03-13 10:30 CET"
    )


def test_add_working_days_from_friday_evening_starts_counting_on_monday() -> None:
    assert wall(add_working_days(ams(2026, 3, 6, 20, 0), 2, HOURS, AMS)) == (
        "Wed 2026-03-11 08:00 CET"
    )


def test_add_working_days_keeps_the_wall_clock_across_dst() -> None:
    assert wall(add_working_days(ams(2026, 3, 27, 9, 0), 1, HOURS, AMS)) == (
        "Mon 2026-03-30 09:00 CEST"
    )
    assert wall(add_working_days(ams(2026, 10, 23, 9, 0), 1, HOURS, AMS)) == (
        "Mon 2026-10-26 09:00 CET"
    )


def test_prep_three_working_days_before_a_thursday_meeting_is_monday_opening() -> None:
    thursday_14 = ams(2026, 3, 12, 14, 0)
    assert wall(working_days_before(thursday_14, 3, HOURS, AMS)) == "Mon 2026-03-09 08:00 CET"


def test_working_days_before_a_monday_meeting_crosses_the_weekend() -> None:
    monday_10 = ams(2026, 3, 16, 10, 0)
    assert wall(working_days_before(monday_10, 3, HOURS, AMS)) == "Wed 2026-03-11 08:00 CET"


def test_working_days_before_across_the_march_clock_change() -> None:
    # Meeting Wednesday 1 April (summer time); three working days back is Friday 27 March.
    assert wall(working_days_before(ams(2026, 4, 1, 10, 0), 3, HOURS, AMS)) == (
        "Fri 2026-03-27 08:00 CET"
    )


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2027, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_next_working_moment_is_always_inside_working_hours_and_never_earlier(
    moment: datetime,
) -> None:
    found = next_working_moment(moment, HOURS, AMS)
    assert found >= moment
    assert is_working_moment(found, HOURS, AMS)
    assert found - moment < timedelta(days=4)


# ----- working time: escalations nobody picked up -----


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (ams(2026, 3, 3, 9, 30), 4, "Tue 2026-03-03 13:30 CET"),
        (ams(2026, 3, 6, 16, 0), 4, "Mon 2026-03-09 10:00 CET"),  # Friday afternoon
        (ams(2026, 3, 7, 11, 0), 4, "Mon 2026-03-09 12:00 CET"),  # Saturday: from Monday
        (ams(2026, 3, 3, 6, 0), 4, "Tue 2026-03-03 12:00 CET"),  # before opening
        (ams(2026, 3, 3, 14, 0), 4, "Wed 2026-03-04 08:00 CET"),  # used up at closing
        (ams(2026, 3, 3, 10, 0), 24, "Thu 2026-03-05 14:00 CET"),  # several days
        (ams(2026, 3, 27, 16, 0), 4, "Mon 2026-03-30 10:00 CEST"),  # over the clock change
        (ams(2026, 10, 23, 16, 0), 4, "Mon 2026-10-26 10:00 CET"),
        (ams(2026, 3, 3, 10, 0), 0, "Tue 2026-03-03 10:00 CET"),
        (ams(2026, 3, 3, 20, 0), 0, "Wed 2026-03-04 08:00 CET"),
    ],
)
def test_working_time_counts_only_open_hours(start: datetime, hours: int, expected: str) -> None:
    assert wall(add_working_time(start, timedelta(hours=hours), HOURS, AMS)) == expected


@given(
    st.datetimes(
        min_value=datetime(2026, 3, 20),
        max_value=datetime(2026, 11, 5),
        timezones=st.just(UTC),
    ).map(lambda moment: moment.replace(second=0, microsecond=0)),
    st.integers(min_value=0, max_value=12 * 60),
)
def test_working_time_agrees_with_counting_open_minutes_one_by_one(
    start: datetime, minutes: int
) -> None:
    """Minute by minute from `start`, counting the minutes that are inside working hours:
    the amount is used up at the first minute after the last one counted."""
    moment, counted = start, 0
    while counted < minutes:
        counted += is_working_moment(moment, HOURS, AMS)
        moment += timedelta(minutes=1)
    found = add_working_time(start, timedelta(minutes=minutes), HOURS, AMS)
    assert found == next_working_moment(moment, HOURS, AMS)
    assert is_working_moment(found, HOURS, AMS)


def test_working_time_needs_an_open_day_and_a_positive_amount() -> None:
    closed = Hours(days=frozenset())
    with pytest.raises(ValueError):
        add_working_time(ams(2026, 3, 3, 10), timedelta(hours=1), closed, AMS)
    with pytest.raises(ValueError):
        add_working_time(ams(2026, 3, 3, 10), timedelta(hours=-1), HOURS, AMS)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (ams(2026, 3, 3, 13, 30), "Wed 2026-03-04 17:00 CET"),
        (ams(2026, 3, 6, 10, 0), "Mon 2026-03-09 17:00 CET"),  # Friday: Monday is next
        (ams(2026, 3, 27, 10, 0), "Mon 2026-03-30 17:00 CEST"),
    ],
)
def test_the_end_of_the_next_working_day_is_an_hour_before_closing(
    start: datetime, expected: str
) -> None:
    assert wall(end_of_next_working_day(start, HOURS, AMS)) == expected


def test_the_end_of_a_short_working_day_is_never_before_its_opening() -> None:
    short = Hours(start=time(9, 0), end=time(9, 30))
    assert wall(end_of_next_working_day(ams(2026, 3, 3, 9, 0), short, AMS)) == (
        "Wed 2026-03-04 09:00 CET"
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ((2027, 3, 31), 3, (2027, 6, 30)),  # June has 30 days
        ((2027, 11, 30), 3, (2028, 2, 29)),  # into a leap-year February
        ((2027, 1, 15), 12, (2028, 1, 15)),
        ((2027, 1, 15), 0, (2027, 1, 15)),
    ],
)
def test_months_later_is_the_same_day_or_the_months_last(
    day: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    assert add_months(date(*day), months) == date(*expected)


# ----- recurrences across DST -----


def test_weekly_at_nine_stays_nine_across_the_march_clock_change() -> None:
    before = ams(2026, 3, 23, 9, 0)  # Monday, CET (UTC+1)
    after = next_occurrence(before, 7, time(9, 0), AMS)
    assert wall(after) == "Mon 2026-03-30 09:00 CEST"
    # 7 days minus the lost hour: a fixed UTC interval would have said 10:00.
    assert after - before == timedelta(days=7, hours=-1)


def test_weekly_at_nine_stays_nine_across_the_october_clock_change() -> None:
    before = ams(2026, 10, 19, 9, 0)  # Monday, CEST (UTC+2)
    after = next_occurrence(before, 7, time(9, 0), AMS)
    assert wall(after) == "Mon 2026-10-26 09:00 CET"
    assert after - before == timedelta(days=7, hours=1)


def test_a_time_that_does_not_exist_moves_forward_by_the_gap() -> None:
    assert not exists_locally(datetime(2026, 3, 29).date(), time(2, 30), AMS)
    due = next_occurrence(ams(2026, 3, 22, 2, 30), 7, time(2, 30), AMS)
    assert wall(due) == "Sun 2026-03-29 03:30 CEST"
    # And the week after, the series is back at 02:30.
    assert wall(next_occurrence(due, 7, time(2, 30), AMS)) == "Sun 2026-04-05 02:30 CEST"


def test_a_time_that_happens_twice_means_the_first_one() -> None:
    assert exists_locally(datetime(2026, 10, 25).date(), time(2, 30), AMS)
    due = next_occurrence(ams(2026, 10, 18, 2, 30), 7, time(2, 30), AMS)
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET
    assert wall(due) == "Sun 2026-10-25 02:30 CEST"


def test_local_moment_is_utc() -> None:
    assert local_moment(datetime(2026, 7, 1).date(), time(9, 0), AMS) == datetime(
        2026, 7, 1, 7, 0, tzinfo=UTC
    )


def test_missed_occurrences_are_skipped_not_sent_in_a_burst() -> None:
    three_weeks_ago = ams(2026, 3, 2, 9, 0)
    now = ams(2026, 3, 24, 12, 0)
    due = next_occurrence(three_weeks_ago, 7, time(9, 0), AMS, after=now)
    assert wall(due) == "Mon 2026-03-30 09:00 CEST"


def test_occurrence_key_is_the_local_date() -> None:
    # 22:30 UTC on the 24th is already 00:30 on the 25th in Amsterdam.
    assert occurrence_key(datetime(2026, 10, 24, 22, 30, tzinfo=UTC), AMS) == "2026-10-25"


def test_daily_recurrence_has_one_occurrence_per_local_day_through_both_changes() -> None:
    due = ams(2026, 3, 1, 9, 0)
    days = set()
    for _ in range(250):
        due = next_occurrence(due, 1, time(9, 0), AMS)
        assert due.astimezone(AMS).time() == time(9, 0)
        days.add(occurrence_key(due, AMS))
    assert len(days) == 250


# ----- expiry policy -----


def test_prep_and_meeting_reminders_expire_when_the_meeting_starts() -> None:
    meeting_at = ams(2026, 3, 12, 14, 0)
    for kind in (ReminderKind.PREP, ReminderKind.PREP_NUDGE, ReminderKind.MEETING):
        assert expires_at(kind, meeting_at=meeting_at) == meeting_at


def test_actions_checks_and_escalations_never_expire() -> None:
    for kind in (
        ReminderKind.ACTION_DUE,
        ReminderKind.BODEMEIS_CHECK,
        ReminderKind.BODEMEIS_ESCALATION,
        # Cancelled by what makes them pointless; an expired one would end its weekly series.
        ReminderKind.ESCALATION_PICKUP,
        ReminderKind.ESCALATION_PICKUP_AGAIN,
        ReminderKind.NO_NEXT_MEETING,
        ReminderKind.AFTERCARE,
    ):
        assert POLICIES[kind].expiry is Expiry.NEVER
        assert expires_at(kind) is None


def test_escalations_are_not_held_back_until_office_hours() -> None:
    assert not POLICIES[ReminderKind.BODEMEIS_ESCALATION].working_hours
    assert all(POLICIES[kind].working_hours for kind in ReminderKind if "escalation" not in kind)


def test_every_kind_has_a_policy() -> None:
    assert set(POLICIES) == set(ReminderKind)


def test_pickup_reminders_wait_for_working_hours_the_escalation_itself_does_not() -> None:
    assert POLICIES[ReminderKind.ESCALATION_PICKUP].working_hours
    assert POLICIES[ReminderKind.ESCALATION_PICKUP_AGAIN].working_hours


def test_every_phase_has_a_maximum_time_between_meetings_growing_with_the_phase() -> None:
    limits = list(DEFAULT_MAX_MEETING_INTERVAL_DAYS.values())
    assert list(DEFAULT_MAX_MEETING_INTERVAL_DAYS) == [
        "directe_veiligheid",
        "risicogestuurde_zorg",
        "herstelgerichte_zorg",
    ]
    assert limits == sorted(limits) and limits[0] == 14


def test_meeting_expiry_needs_the_meeting_time() -> None:
    with pytest.raises(ValueError):
        expires_at(ReminderKind.PREP)


# ----- meeting reminders -----


def test_meeting_planned_well_ahead_gets_prep_nudge_and_reminder_in_working_hours() -> None:
    meeting_at = ams(2026, 3, 12, 14, 0)  # Thursday
    now = ams(2026, 3, 2, 10, 0)
    prep = meeting_timing(ReminderKind.PREP, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
    nudge = meeting_timing(
        ReminderKind.PREP_NUDGE, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS
    )
    meeting = meeting_timing(
        ReminderKind.MEETING, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS
    )
    assert prep and nudge and meeting
    assert wall(prep.due_at) == "Mon 2026-03-09 08:00 CET"
    assert wall(nudge.due_at) == "Wed 2026-03-11 08:00 CET"
    assert wall(meeting.due_at) == "Thu 2026-03-12 13:00 CET"
    assert prep.expires_at == nudge.expires_at == meeting.expires_at == meeting_at


def test_meeting_at_short_notice_gets_its_prep_dm_right_away_and_no_nudge() -> None:
    meeting_at = ams(2026, 3, 12, 14, 0)
    now = ams(2026, 3, 11, 9, 12)
    prep = meeting_timing(ReminderKind.PREP, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
    assert prep is not None and prep.due_at == now
    assert (
        meeting_timing(ReminderKind.PREP_NUDGE, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
        is None
    )


def test_early_monday_meeting_is_announced_before_the_weekend() -> None:
    meeting_at = ams(2026, 3, 9, 8, 0)
    timing = meeting_timing(
        ReminderKind.MEETING, meeting_at=meeting_at, now=ams(2026, 3, 2, 9, 0), hours=HOURS, tz=AMS
    )
    assert timing is not None and wall(timing.due_at) == "Fri 2026-03-06 17:59 CET"


def test_no_prep_dm_when_the_meeting_is_outside_reach() -> None:
    meeting_at = ams(2026, 3, 9, 8, 0)  # Monday opening; now is the Saturday before
    now = ams(2026, 3, 7, 11, 0)
    assert (
        meeting_timing(ReminderKind.PREP, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
        is None
    )


def test_custom_hours_dataclass_is_accepted() -> None:
    hours = Hours(days=frozenset({5}), start=time(10, 0), end=time(12, 0))  # Saturdays only
    assert wall(next_working_moment(ams(2026, 3, 9, 9, 0), hours, AMS)) == (
        "Sat 2026-03-14 10:00 CET"
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_working_moment(datetime(2026, 3, 9, 9, 0), HOURS, AMS)


def test_an_action_due_on_saturday_is_reminded_on_monday_but_an_escalation_is_not_held() -> None:
    saturday = ams(2026, 3, 7, 11, 0)
    assert wall(due_in_working_hours(ReminderKind.ACTION_DUE, saturday, HOURS, AMS)) == (
        "Mon 2026-03-09 08:00 CET"
    )
    assert due_in_working_hours(ReminderKind.BODEMEIS_ESCALATION, saturday, HOURS, AMS) == saturday


def test_no_nudge_within_a_working_day_of_the_invitation() -> None:
    # Planned on Tuesday evening for Thursday: the invitation waits for Wednesday's opening,
    # and the nudge (one working day before) would fall in that same minute.
    meeting_at = ams(2026, 3, 12, 14, 0)
    now = ams(2026, 3, 10, 20, 0)
    prep = meeting_timing(ReminderKind.PREP, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
    assert prep is not None and wall(prep.due_at) == "Wed 2026-03-11 08:00 CET"
    assert (
        meeting_timing(ReminderKind.PREP_NUDGE, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS)
        is None
    )


def test_nudge_at_least_a_working_day_after_the_invitation() -> None:
    meeting_at = ams(2026, 3, 13, 14, 0)  # Friday
    for hour in range(0, 24):
        for day in range(2, 13):
            now = ams(2026, 3, day, hour, 0)
            prep = meeting_timing(
                ReminderKind.PREP, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS
            )
            nudge = meeting_timing(
                ReminderKind.PREP_NUDGE, meeting_at=meeting_at, now=now, hours=HOURS, tz=AMS
            )
            if prep is not None and nudge is not None:
                assert nudge.due_at >= add_working_days(prep.due_at, 1, HOURS, AMS)
