"""Bulk data for the reminder and memory benchmarks: cases with a planned meeting each, and a
meeting reminder per invitee — the rows the poller and the meeting sender really use.

Cases and meetings go through the storage functions; the reminder rows are added in bulk
(one INSERT per batch), since 10,000 single-row inserts would time the seeding, not the bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select

from flows import meeting as machine
from flows.catalogue import load_catalogue
from flows.schedule import ReminderKind
from sandbox import Workspace
from storage.cases import create_case
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Role
from storage.reminders import Reminder, ReminderStatus, meeting_dedupe_key

PHASE = "directe_veiligheid"
CASES_PER_COMMIT = 100


@dataclass(frozen=True)
class People:
    """Invitees that exist in the sandbox, so users.info and conversations.open succeed."""

    ids: tuple[str, ...]


def add_people(workspace: Workspace, count: int, prefix: str = "bench") -> People:
    ids = []
    for n in range(count):
        user = workspace.add_user(
            f"{prefix}_{n:04d}", f"Deelnemer {n:04d}", title="Wijkteam", locale="nl-NL"
        )
        ids.append(user.id)
    return People(tuple(ids))


async def seed_cases(
    db: Database, *, cases: int, people: People, due_at: datetime, first: int = 0
) -> int:
    """`cases` open cases, each with a planned meeting and a meeting reminder per person.

    Returns how many reminders were added. `first` numbers the cases, so a second call adds
    new ones instead of colliding with the first call's codes.
    """
    catalogue = load_catalogue()
    # The stored form bot.meeting_flow.dump_state writes; built here so seeding needs only
    # flows and storage.
    state = json.dumps(machine.new_meeting(catalogue, PHASE).to_dict(), separators=(",", ":"))
    added = 0
    for start in range(first, first + cases, CASES_PER_COMMIT):
        async with db.session() as session:
            rows: list[Reminder] = []
            for n in range(start, min(start + CASES_PER_COMMIT, first + cases)):
                case = await create_case(
                    session,
                    code=f"ZVH-LOAD-{n:05d}",
                    phase=PHASE,
                    channel_id=f"C0LOAD{n:05d}",
                    created_by=people.ids[0],
                    members=[(u, Role.DEELNEMER, "Wijkteam") for u in people.ids],
                )
                meeting = await plan_meeting(
                    session,
                    case_id=case.id or 0,
                    phase=PHASE,
                    scheduled_at=due_at + timedelta(days=1),
                    planned_by=people.ids[0],
                    invitees=people.ids,
                    state=state,
                )
                rows += [
                    Reminder(
                        kind=ReminderKind.MEETING,
                        status=ReminderStatus.PENDING,
                        due_at=due_at,
                        user_id=user_id,
                        case_id=case.id,
                        meeting_id=meeting.id,
                        dedupe_key=meeting_dedupe_key(
                            ReminderKind.MEETING, meeting_id=meeting.id or 0, user_id=user_id
                        ),
                    )
                    for user_id in people.ids
                ]
            session.add_all(rows)
            added += len(rows)
    return added


async def reset_reminders(db: Database, *, due_at: datetime) -> None:
    """Every reminder back to pending and due, as if none had been sent yet."""
    async with db.session() as session:
        await session.exec(
            update(Reminder).values(
                status=ReminderStatus.PENDING,
                due_at=due_at,
                attempts=0,
                lease_until=None,
                message_ts=None,
                sent_at=None,
                last_error=None,
            )
        )


async def count_by_status(db: Database) -> dict[str, int]:
    async with db.session() as session:
        query = select(Reminder.status, func.count()).group_by(col(Reminder.status))
        return {status: int(n) for status, n in (await session.exec(query)).all()}
