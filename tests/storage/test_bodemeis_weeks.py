"""Bodemeis checks over several weeks, on SQLite and PostgreSQL: an answer settles the check it
answers and nothing else. Weekly checks overlap with late answers and with escalations still to
come; every check, "no answer" escalation and "niet nageleefd" alert must come exactly once.

The poller and the senders are played here with the storage calls the bot makes (see
bot/agreement_reminders.py), hour by hour on a simulated clock, alternating between two
engines as a restarted or second process would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from flows.schedule import DEFAULT_HOURS, ReminderKind
from storage.agreements import Agreement, BodemeisCheck, CheckAnswer
from storage.bodemeis_checks import (
    add_bodemeis,
    check_for,
    check_was_sent,
    nominal_check_time,
    record_check,
    schedule_escalation,
    schedule_next_check,
    schedule_retry_escalation,
    set_escalation_ts,
)
from storage.cases import create_case
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Role
from storage.reminder_queue import claim_due, expire_late, mark_obsolete, mark_sent, recover_stuck
from storage.reminders import Reminder

AMS = ZoneInfo("Europe/Amsterdam")
MONITOR = "U0SANNE"


def ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


@dataclass
class Weeks:
    """One bodemeis, its monitor and the procesregisseur's channel, on a simulated clock."""

    processes: tuple[Database, Database]
    agreement_id: int
    posts: list[str] = field(default_factory=list)

    def db(self, now: datetime) -> Database:
        # A different process each ISO week: the series survives restarts and replicas.
        return self.processes[now.isocalendar().week % 2]

    async def poll(self, now: datetime) -> None:
        db = self.db(now)
        await expire_late(db, now)
        await recover_stuck(db, now)
        for reminder in await claim_due(db, now=now, limit=50):
            await self.deliver(db, reminder, now)

    async def deliver(self, db: Database, reminder: Reminder, now: datetime) -> None:
        assert reminder.id is not None and reminder.agreement_id is not None
        occurrence = str(reminder.data["occurrence"])
        async with db.session() as session:
            agreement = await session.get(Agreement, reminder.agreement_id)
        assert agreement is not None
        if reminder.kind == ReminderKind.BODEMEIS_CHECK:
            async with db.session() as session:
                await schedule_next_check(
                    session,
                    agreement=agreement,
                    previous=nominal_check_time(occurrence, AMS),
                    now=now,
                    hours=DEFAULT_HOURS,
                    tz=AMS,
                )
                await schedule_escalation(
                    session,
                    agreement=agreement,
                    occurrence=occurrence,
                    channel_id="G1",
                    sent_at=now,
                    hours=DEFAULT_HOURS,
                    tz=AMS,
                )
            self.posts.append(f"check {occurrence}")
        elif reminder.data.get("answer") == CheckAnswer.NOT_MET:
            async with db.session() as session:
                check = await check_for(
                    session, agreement_id=self.agreement_id, occurrence=occurrence
                )
                if check is None or check.answer != CheckAnswer.NOT_MET or check.escalation_ts:
                    await mark_obsolete(
                        db, reminder.id, "already_told", claim_token=reminder.claim_token
                    )
                    return
                await set_escalation_ts(
                    session, agreement_id=self.agreement_id, occurrence=occurrence, ts="1.1"
                )
            self.posts.append(f"not met {occurrence}")
        else:
            async with db.session() as session:
                recorded = await record_check(
                    session,
                    agreement_id=self.agreement_id,
                    occurrence=occurrence,
                    answer=CheckAnswer.NO_ANSWER,
                    by=None,
                    now=now,
                )
                existing = (
                    None
                    if recorded
                    else await check_for(
                        session, agreement_id=self.agreement_id, occurrence=occurrence
                    )
                )
            if existing is not None and existing.answer != CheckAnswer.NO_ANSWER:
                await mark_obsolete(db, reminder.id, "answered", claim_token=reminder.claim_token)
                return
            self.posts.append(f"no answer {occurrence}")
        assert await mark_sent(db, reminder.id, "1.1", claim_token=reminder.claim_token, now=now)

    async def answer(self, occurrence: str, answer: CheckAnswer, now: datetime) -> None:
        """The monitor clicks an answer in the check's DM (on time or late)."""
        async with self.db(now).session() as session:
            assert await check_was_sent(
                session, agreement_id=self.agreement_id, occurrence=occurrence
            )
            check = await record_check(
                session,
                agreement_id=self.agreement_id,
                occurrence=occurrence,
                answer=answer,
                by=MONITOR,
                now=now,
            )
        assert check is not None, f"the answer to {occurrence} was refused"

    async def alert_failed(self, occurrence: str, now: datetime) -> None:
        """ "Niet nageleefd": the immediate alert could not be posted; the poller retries it."""
        async with self.db(now).session() as session:
            agreement = await session.get(Agreement, self.agreement_id)
            assert agreement is not None
            await schedule_retry_escalation(
                session, agreement=agreement, occurrence=occurrence, channel_id="G1", now=now
            )

    async def checks(self) -> dict[str, str]:
        async with self.processes[0].session() as session:
            rows = (await session.exec(select(BodemeisCheck))).all()
        return {row.occurrence: row.answer for row in rows}


async def start(db: Database, second_db: Database, *, now: datetime) -> Weeks:
    async with db.session() as session:
        case = await create_case(
            session,
            code="ZVH-2027-012",
            phase="directe_veiligheid",
            channel_id="G1",
            created_by="U0PETRA",
            members=[("U0PETRA", Role.PROCESREGISSEUR, "ZVH"), (MONITOR, Role.DEELNEMER, "")],
        )
        meeting = await plan_meeting(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            phase="directe_veiligheid",
            scheduled_at=now,
            planned_by="U0PETRA",
            invitees=["U0PETRA", MONITOR],
            state="{}",
        )
        agreement = await add_bodemeis(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            meeting_id=meeting.id,  # type: ignore[arg-type]
            text="Vader komt niet bij de woning",
            monitor_user_id=MONITOR,
            interval_days=7,
            created_by="U0PETRA",
            now=now,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    assert agreement.id is not None
    return Weeks((db, second_db), agreement.id)


async def test_six_weeks_of_checks_late_answers_and_escalations_each_come_exactly_once(
    db: Database, second_db: Database
) -> None:
    begin = ams(2027, 3, 1, 14, 0)  # Monday; the clocks go forward on Sunday 28 March
    weeks = await start(db, second_db, now=begin)
    script: dict[datetime, list[Callable[[datetime], object]]] = {
        # Week 1: answered the same morning.
        ams(2027, 3, 8, 10, 0): [lambda now: weeks.answer("2027-03-08", CheckAnswer.MET, now)],
        # Week 2: no answer; the escalation comes on Wednesday. Week 3's check goes out on
        # Monday, and only then does the monitor answer week 2, late. Week 3 stays unanswered:
        # its own escalation must still come on Wednesday.
        ams(2027, 3, 22, 11, 0): [
            lambda now: weeks.answer("2027-03-15", CheckAnswer.UNKNOWN, now),
        ],
        # Week 4 (after the clock change): "niet nageleefd", its alert fails to post and waits
        # for the poller; in the same minute the monitor answers week 3, late. The alert must
        # still reach the procesregisseur.
        ams(2027, 3, 29, 10, 0): [
            lambda now: weeks.answer("2027-03-29", CheckAnswer.NOT_MET, now),
            lambda now: weeks.alert_failed("2027-03-29", now),
            lambda now: weeks.answer("2027-03-22", CheckAnswer.MET, now),
        ],
        # Week 5: answered on Tuesday, before its escalation is due.
        ams(2027, 4, 6, 15, 0): [lambda now: weeks.answer("2027-04-05", CheckAnswer.MET, now)],
        # Week 6: no answer at all.
    }
    now = begin
    while now <= ams(2027, 4, 15, 12, 0):
        for step in script.get(now, []):
            await step(now)  # type: ignore[misc]
        await weeks.poll(now)
        now += timedelta(hours=1)

    assert weeks.posts == [
        "check 2027-03-08",
        "check 2027-03-15",
        "no answer 2027-03-15",
        "check 2027-03-22",
        "no answer 2027-03-22",
        "check 2027-03-29",
        "not met 2027-03-29",
        "check 2027-04-05",
        "check 2027-04-12",
        "no answer 2027-04-12",
    ]
    assert await weeks.checks() == {
        "2027-03-08": CheckAnswer.MET,
        "2027-03-15": CheckAnswer.UNKNOWN,  # the late answer replaced "no answer"
        "2027-03-22": CheckAnswer.MET,
        "2027-03-29": CheckAnswer.NOT_MET,
        "2027-04-05": CheckAnswer.MET,
        "2027-04-12": CheckAnswer.NO_ANSWER,
    }


async def test_answering_one_check_leaves_the_other_weeks_escalations_pending(
    db: Database, second_db: Database
) -> None:
    weeks = await start(db, second_db, now=ams(2027, 3, 1, 14, 0))
    async with db.session() as session:
        agreement = await session.get(Agreement, weeks.agreement_id)
        assert agreement is not None
        for occurrence, sent in (("2027-03-08", ams(2027, 3, 8, 9)), ("2027-03-15", None)):
            if sent is None:
                await schedule_retry_escalation(
                    session,
                    agreement=agreement,
                    occurrence=occurrence,
                    channel_id="G1",
                    now=ams(2027, 3, 15, 10),
                )
            else:
                await schedule_escalation(
                    session,
                    agreement=agreement,
                    occurrence=occurrence,
                    channel_id="G1",
                    sent_at=sent,
                    hours=DEFAULT_HOURS,
                    tz=AMS,
                )
        await schedule_escalation(
            session,
            agreement=agreement,
            occurrence="2027-03-15",
            channel_id="G1",
            sent_at=ams(2027, 3, 15, 9),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    async with db.session() as session:
        await record_check(
            session,
            agreement_id=weeks.agreement_id,
            occurrence="2027-03-08",
            answer=CheckAnswer.MET,
            by=MONITOR,
            now=ams(2027, 3, 15, 11),
        )
        rows = (await session.exec(select(Reminder))).all()
    escalations = {
        r.dedupe_key: r.status for r in rows if r.kind == ReminderKind.BODEMEIS_ESCALATION
    }
    agreement_id = weeks.agreement_id
    assert escalations == {
        f"bodemeis_escalation:{agreement_id}:2027-03-08": "cancelled",  # the one answered
        f"bodemeis_escalation:{agreement_id}:2027-03-15": "pending",
        f"bodemeis_escalation:{agreement_id}:2027-03-15:not_met": "pending",
    }
