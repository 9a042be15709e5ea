"""Time at the edges: the database keeps aware UTC (storage.types.utcnow); people live in the
meeting's zone (DESIGN §4)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_now(tz: ZoneInfo) -> datetime:
    return datetime.now(tz)


def local_today(tz: ZoneInfo) -> date:
    """Today where the meeting is: due dates and 'in the past' are judged in local time."""
    return datetime.now(tz).date()
