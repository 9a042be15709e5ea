"""The report's and the timeline's Slack objects (outbox rows).

A report is two files in the meeting's thread (Markdown and PDF), each a row: the purge finds
both. The timeline is a new post in the case channel, followed by the trend in the same lane so
they read in order.
"""

from __future__ import annotations

import secrets

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import want_case_posts
from bot.kit.runtime import Deps
from bot.meetings.objects import want_in_thread
from bot.reports.timeline import timeline_for
from bot.votes.objects import want_trend
from storage.models import Case, Meeting, row_id

REPORT_FORMATS = ("md", "pdf")


async def want_report(session: AsyncSession, deps: Deps, meeting: Meeting, *, by: str) -> list[int]:
    """The meeting's report as files in its thread (a new pair each time it is asked for)."""
    base = f"meeting:{row_id(meeting)}:report:{secrets.token_hex(4)}"
    return [
        await want_in_thread(
            session,
            deps,
            meeting,
            key=f"{base}:{fmt}",
            kind=ObjectKind.REPORT_FILE,
            payload={"format": fmt, "by": by},
        )
        for fmt in REPORT_FORMATS
    ]


async def want_timeline(
    session: AsyncSession, deps: Deps, case: Case
) -> tuple[list[int], list[int]]:
    """The case's timeline, then its trend: (messages, the trend's chart)."""
    case_id = row_id(case)
    lane = f"case:{case_id}:timeline:{secrets.token_hex(4)}"
    parts = await timeline_for(session, deps, case)
    rows = await want_case_posts(
        session, deps, case, key=lane, kind=ObjectKind.TIMELINE, parts=len(parts), lane=lane
    )
    trend, chart = await want_trend(session, deps, case, lane=lane)
    return rows + trend, chart
