"""`python -m bot audit --case CODE`: who did what and when in a case, never what was said."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.admin import AdminError, admin_database, printable
from bot.config import Settings
from flows.personal_data import normalise_case_code
from storage.audit import events_for_case
from storage.cases import case_by_code
from storage.models import AuditEvent, row_id
from storage.retention import purge_records


async def show_audit(settings: Settings, *, code: str) -> list[AuditEvent]:
    code = normalise_case_code(code)
    async with admin_database(settings) as db, db.session() as session:
        case = await case_by_code(session, code=code)
        if case is None:
            purged = await purge_records(session, code=code)
            if not purged:
                raise AdminError(f"no case with code {printable(code)}")
            print(f"Case {code} was purged; only the purge itself is kept:")
            events = purged
        else:
            events = await events_for_case(session, case_id=row_id(case))
            print(f"Audit log of case {code} (times in {settings.timezone.key}):")
    for event in events:
        print(format_event(event, settings.timezone))
    if not events:
        print("(no events)")
    return events


def format_event(event: AuditEvent, zone: ZoneInfo) -> str:
    when = local(event.at, zone)
    parts = [when, printable(event.actor).ljust(14), printable(event.action).ljust(18)]
    if event.meeting_id is not None:
        parts.append(f"meeting={event.meeting_id}")
    if event.detail:
        parts.append(printable(event.detail))
    return "  ".join(parts).rstrip()


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
