"""When reminders are due: working hours, working days and recurrences in local time (DESIGN §5).

Pure functions of aware datetimes; everything returned is UTC, because that is what the
database stores. Local time only matters at the edges: working hours and "weekly at 09:00" are
what people see on their wall clock, so they are computed in the meeting's zone and converted.

Wall-clock times that do not exist (02:30 on the last Sunday of March in Europe/Amsterdam) are
moved forward by the length of the gap (03:30); times that happen twice (02:30 on the last
Sunday of October) mean the first one. Both choices make a reminder come once, never early.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

# Enough to cross any run of closed days a configuration allows (at least one day is open).
_MAX_SEARCH_DAYS = 8


class WorkingHours(Protocol):
    """Open days (0 = Monday) and opening hours; `bot.config.WorkingHours` fits as it is."""

    @property
    def days(self) -> frozenset[int]: ...

    @property
    def start(self) -> time: ...

    @property
    def end(self) -> time: ...


@dataclass(frozen=True, slots=True)
class Hours:
    """A plain `WorkingHours` for callers without settings (and for tests)."""

    days: frozenset[int] = frozenset(range(5))
    start: time = time(8, 0)
    end: time = time(18, 0)


DEFAULT_HOURS = Hours()


class ReminderKind(StrEnum):
    PREP = "prep"  # invitation to answer the prep questions before a meeting
    PREP_NUDGE = "prep_nudge"  # a second nudge for whoever has not prepared yet
    MEETING = "meeting"  # the meeting is about to start
    ACTION_DUE = "action_due"  # an agreed action reaches its due date
    BODEMEIS_CHECK = "bodemeis_check"  # periodic "is this bottom line still met?" to its monitor
    BODEMEIS_ESCALATION = "bodemeis_escalation"  # a broken or unanswered bottom line, to the lead
    # An escalation nobody picked up within the pick-up time: a DM to each regisseur, and again
    # at the end of the next working day (storage/escalations.py).
    ESCALATION_PICKUP = "escalation_pickup"
    ESCALATION_PICKUP_AGAIN = "escalation_pickup_again"
    # A meeting ended and none is planned: to each regisseur, then weekly (storage/rhythm.py).
    NO_NEXT_MEETING = "no_next_meeting"
    # Months after closing, "gaat het nog goed met dit gezin?" to the casusregisseur.
    AFTERCARE = "aftercare"


class Expiry(StrEnum):
    AT_MEETING = "at_meeting"  # worthless once the meeting has started
    NEVER = "never"  # still worth sending late, once


@dataclass(frozen=True, slots=True)
class KindPolicy:
    expiry: Expiry
    # Whether due times are moved into working hours when they are scheduled.
    working_hours: bool = True


POLICIES: Mapping[ReminderKind, KindPolicy] = MappingProxyType(
    {
        ReminderKind.PREP: KindPolicy(Expiry.AT_MEETING),
        ReminderKind.PREP_NUDGE: KindPolicy(Expiry.AT_MEETING),
        ReminderKind.MEETING: KindPolicy(Expiry.AT_MEETING),
        # A missed due date or check still needs attention; the poller sends it once, late.
        ReminderKind.ACTION_DUE: KindPolicy(Expiry.NEVER),
        ReminderKind.BODEMEIS_CHECK: KindPolicy(Expiry.NEVER),
        # Safety first: an escalation is never dropped, nor held back until office hours.
        ReminderKind.BODEMEIS_ESCALATION: KindPolicy(Expiry.NEVER, working_hours=False),
        # Never expire: each is cancelled by what makes it pointless (a pick-up, a planned
        # meeting, a reopened or purged case) in that change's transaction, and its sender
        # checks again. A late one is still worth sending once; an expired weekly reminder
        # would end its series, since each sender schedules the next.
        ReminderKind.ESCALATION_PICKUP: KindPolicy(Expiry.NEVER),
        ReminderKind.ESCALATION_PICKUP_AGAIN: KindPolicy(Expiry.NEVER),
        ReminderKind.NO_NEXT_MEETING: KindPolicy(Expiry.NEVER),
        ReminderKind.AFTERCARE: KindPolicy(Expiry.NEVER),
    }
)

# The longest a case may go without a meeting, per phase, in days (CASUSBOT_MAX_MEETING_INTERVAL
# overrides each). Directe veiligheid: two weeks, because safety is not yet in place and the
# bodemeisen were just set. Risicogestuurde zorg: six weeks, the time interventions need to show
# an effect on the risk factors. Herstelgerichte zorg: thirteen weeks (a quarter), when the case
# mostly runs in regular care and the meeting watches the recovery.
DEFAULT_MAX_MEETING_INTERVAL_DAYS: Mapping[str, int] = MappingProxyType(
    {"directe_veiligheid": 14, "risicogestuurde_zorg": 42, "herstelgerichte_zorg": 91}
)


def expires_at(kind: ReminderKind, *, meeting_at: datetime | None = None) -> datetime | None:
    """When a reminder of `kind` stops being worth sending (None: never)."""
    if POLICIES[kind].expiry is Expiry.NEVER:
        return None
    if meeting_at is None:
        raise ValueError(f"a {kind} reminder expires at its meeting: meeting_at is required")
    return _utc(meeting_at)


def due_in_working_hours(
    kind: ReminderKind, due: datetime, hours: WorkingHours, tz: ZoneInfo
) -> datetime:
    """`due` moved into working hours when the kind's policy asks for it (UTC)."""
    return next_working_moment(due, hours, tz) if POLICIES[kind].working_hours else _utc(due)


# ----- local time -----


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `tz` (gaps forward, folds first)."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz)
    # fold=0 in a gap uses the offset from before the jump, which lands after the gap: 02:30
    # becomes 03:30 summer time. In a fold it is the first (summer time) occurrence.
    return first.astimezone(UTC)


def exists_locally(day: date, at: time, tz: ZoneInfo) -> bool:
    """False for wall-clock times skipped by a clock change."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    round_trip = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return round_trip == naive


# ----- working hours -----


def is_working_moment(at: datetime, hours: WorkingHours, tz: ZoneInfo) -> bool:
    local = _utc(at).astimezone(tz)
    return local.weekday() in hours.days and hours.start <= local.time() < hours.end


def next_working_moment(at: datetime, hours: WorkingHours, tz: ZoneInfo) -> datetime:
    """`at` itself when it falls in working hours, else the next opening time (UTC)."""
    at = _utc(at)
    if is_working_moment(at, hours, tz):
        return at
    local = at.astimezone(tz)
    for offset in range(_MAX_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        opening = local_moment(day, hours.start, tz)
        if opening >= at:
            return opening
    raise ValueError("working hours have no open day")


def previous_working_moment(at: datetime, hours: WorkingHours, tz: ZoneInfo) -> datetime:
    """`at` itself when it falls in working hours, else the last minute before closing (UTC)."""
    at = _utc(at)
    if is_working_moment(at, hours, tz):
        return at
    local = at.astimezone(tz)
    for offset in range(_MAX_SEARCH_DAYS):
        day = local.date() - timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        last_minute = local_moment(day, hours.end, tz) - timedelta(minutes=1)
        if last_minute < at:
            return last_minute
    raise ValueError("working hours have no open day")


def add_working_time(
    at: datetime, amount: timedelta, hours: WorkingHours, tz: ZoneInfo
) -> datetime:
    """The moment `amount` of working time after `at` has passed (UTC), always inside working
    hours: "4 working hours after Friday 16:00" is Monday 10:00.

    Working time is counted in real elapsed time between each open day's opening and closing
    (both wall-clock, so DST-safe). Time used up exactly at closing carries over to the next
    opening: nobody is there to read a DM sent at 18:00.
    """
    if amount < timedelta(0):
        raise ValueError("amount must be >= 0")
    at = _utc(at)
    remaining = amount
    day = at.astimezone(tz).date()
    closed_days = 0
    while True:
        if day.weekday() in hours.days:
            closed_days = 0
            start = max(at, local_moment(day, hours.start, tz))
            closing = local_moment(day, hours.end, tz)
            if start < closing:
                if remaining < closing - start:
                    return start + remaining
                remaining -= closing - start
        else:
            closed_days += 1
            if closed_days >= _MAX_SEARCH_DAYS:
                raise ValueError("working hours have no open day")
        day += timedelta(days=1)


# How long before closing "the end of the working day" is: late enough to give a day to act, early
# enough that someone can still act that day.
END_OF_DAY_LEAD = timedelta(hours=1)


def end_of_next_working_day(
    at: datetime, hours: WorkingHours, tz: ZoneInfo, *, lead: timedelta = END_OF_DAY_LEAD
) -> datetime:
    """`lead` before closing on the first open day after the local date of `at` (UTC); never
    before that day's opening."""
    day = _utc(at).astimezone(tz).date()
    for _ in range(_MAX_SEARCH_DAYS):
        day += timedelta(days=1)
        if day.weekday() in hours.days:
            opening = local_moment(day, hours.start, tz)
            return max(local_moment(day, hours.end, tz) - lead, opening)
    raise ValueError("working hours have no open day")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 month
    is 28 or 29 Feb)."""
    if months < 0:
        raise ValueError("months must be >= 0")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def add_working_days(at: datetime, n: int, hours: WorkingHours, tz: ZoneInfo) -> datetime:
    """`n` (>= 0) working days after `at`, at the same wall-clock time, inside working hours.

    A moment outside working hours first moves to the next opening, so "2 working days after
    Friday evening" is Wednesday morning, not Tuesday evening.
    """
    if n < 0:
        raise ValueError("n must be >= 0; use working_days_before to count back")
    start = next_working_moment(at, hours, tz).astimezone(tz)
    day = start.date()
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if day.weekday() in hours.days:
            remaining -= 1
    return next_working_moment(local_moment(day, start.time(), tz), hours, tz)


def working_days_before(
    moment: datetime,
    n: int,
    hours: WorkingHours,
    tz: ZoneInfo,
    *,
    at: time | None = None,
) -> datetime:
    """Opening time (or `at`) of the `n`th working day before the local date of `moment`.

    A prep DM for a Thursday meeting with n=3 comes Monday at opening time.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    day = _utc(moment).astimezone(tz).date()
    remaining = n
    while remaining:
        day -= timedelta(days=1)
        if day.weekday() in hours.days:
            remaining -= 1
    return next_working_moment(local_moment(day, at or hours.start, tz), hours, tz)


# ----- recurrences -----


def next_occurrence(
    previous_due_utc: datetime,
    interval_days: int,
    at_local_time: time,
    tz: ZoneInfo,
    *,
    after: datetime | None = None,
) -> datetime:
    """The occurrence `interval_days` local days after the previous one, at `at_local_time`.

    Counted in local dates, so "weekly at 09:00" stays 09:00 on the wall clock across DST
    (adding 7 * 24 hours would drift by an hour twice a year). Pass the *nominal* previous due
    time, not one that was moved into working hours, so the series never drifts. With `after`
    (typically now), occurrences missed while the bot was down are skipped: one late check is
    useful, a burst of stale ones is not.
    """
    if interval_days < 1:
        raise ValueError("interval_days must be >= 1")
    day = _utc(previous_due_utc).astimezone(tz).date()
    while True:
        day += timedelta(days=interval_days)
        due = local_moment(day, at_local_time, tz)
        if after is None or due > _utc(after):
            return due


def occurrence_key(due_utc: datetime, tz: ZoneInfo) -> str:
    """The local date of an occurrence, for dedupe keys: one check per agreement per day."""
    return _utc(due_utc).astimezone(tz).date().isoformat()


# ----- meeting reminders -----


@dataclass(frozen=True, slots=True)
class Timing:
    due_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class MeetingReminderPlan:
    """How long before a meeting its reminders go out."""

    prep_working_days: int = 3
    nudge_working_days: int = 1
    meeting_lead: timedelta = timedelta(hours=1)


DEFAULT_PLAN = MeetingReminderPlan()


def meeting_timing(
    kind: ReminderKind,
    *,
    meeting_at: datetime,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    plan: MeetingReminderPlan = DEFAULT_PLAN,
) -> Timing | None:
    """When a meeting's reminder of `kind` is due; None when it would come too late to help.

    A meeting planned at short notice still gets its prep DM, as soon as working hours allow.
    """
    meeting_at, now = _utc(meeting_at), _utc(now)
    if kind is ReminderKind.PREP:
        due = working_days_before(meeting_at, plan.prep_working_days, hours, tz)
        due = max(due, next_working_moment(now, hours, tz))
    elif kind is ReminderKind.PREP_NUDGE:
        due = working_days_before(meeting_at, plan.nudge_working_days, hours, tz)
        invitation = max(
            working_days_before(meeting_at, plan.prep_working_days, hours, tz),
            next_working_moment(now, hours, tz),
        )
        if due < add_working_days(invitation, 1, hours, tz):
            # A nudge within a working day of the invitation only nags (a meeting planned
            # late would otherwise get both in the same minute).
            return None
    elif kind is ReminderKind.MEETING:
        # Earlier rather than later: a reminder after the meeting started is useless.
        due = previous_working_moment(meeting_at - plan.meeting_lead, hours, tz)
        due = max(due, now)
    else:
        raise ValueError(f"{kind} is not a meeting reminder")
    if due >= meeting_at:
        return None
    return Timing(due_at=due, expires_at=expires_at(kind, meeting_at=meeting_at))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(UTC)
