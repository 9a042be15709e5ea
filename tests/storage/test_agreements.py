"""Agreements in the database, on SQLite and PostgreSQL: each change carries its reminders in
the same transaction, clicks that come twice change things once, DST-safe bodemeis checks,
free text encrypted at rest, and purge covers every agreement table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, col, select

from flows.schedule import DEFAULT_HOURS, ReminderKind
from storage.agreements import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    BodemeisCheck,
    CheckAnswer,
    Priority,
    add_action,
    agreements_to_show,
    claim_message,
    escalation_plan,
    finish_action,
    move_due_date,
    set_single,
)
from storage.bodemeis_checks import (
    add_bodemeis,
    add_note,
    record_check,
    schedule_escalation,
    schedule_next_check,
)
from storage.case_rows import all_tables, case_conditions
from storage.cases import close_case, create_case
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Case, Role
from storage.reminders import Reminder, ReminderStatus
from storage.retention import purge_case

AMS = ZoneInfo("Europe/Amsterdam")
MY_TABLES = {"agreement", "bodemeis_check", "agreement_message"}


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


def wall(moment: datetime) -> str:
    return f"{moment.astimezone(AMS):%a %Y-%m-%d %H:%M}"


async def case_and_meeting(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        case = await create_case(
            session,
            code="ZVH-2026-061",
            phase="directe_veiligheid",
            channel_id="G1",
            created_by="U0PETRA",
            members=[("U0PETRA", Role.PROCESREGISSEUR, "ZVH"), ("U0SANNE", Role.DEELNEMER, "")],
        )
        meeting = await plan_meeting(
            session,
            case_id=case.id,
            phase="directe_veiligheid",
            scheduled_at=ams(2027, 3, 15, 10, 0),
            planned_by="U0PETRA",
            invitees=["U0PETRA", "U0SANNE"],
            state="{}",
        )
        return case.id, meeting.id  # type: ignore[return-value]


async def action(db: Database, due: date, **values: object) -> Agreement:
    case_id, meeting_id = await case_and_meeting(db)
    values.setdefault("owner_user_id", "U0SANNE")
    values.setdefault("owner_organisation", None)
    async with db.session() as session:
        return await add_action(
            session,
            case_id=case_id,
            meeting_id=meeting_id,
            text="Huisbezoek door het wijkteam",
            due_date=due,
            priority=Priority.HIGH,
            created_by="U0PETRA",
            hours=DEFAULT_HOURS,
            tz=AMS,
            **values,  # type: ignore[arg-type]
        )


async def reminders(db: Database) -> list[Reminder]:
    async with db.session() as session:
        return list((await session.exec(select(Reminder).order_by(col(Reminder.id)))).all())


# ----- the schema -----


async def test_the_migration_creates_exactly_the_tables_the_models_describe(db: Database) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, SQLModel.metadata)

    all_tables()
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    mine = [d for d in diff if any(name in repr(d) for name in MY_TABLES)]
    assert mine == []


# ----- actions -----


async def test_an_action_is_reminded_at_nine_on_its_due_date_to_its_owner(db: Database) -> None:
    stored = await action(db, date(2027, 3, 17))
    [reminder] = await reminders(db)
    assert reminder.kind == ReminderKind.ACTION_DUE and reminder.user_id == "U0SANNE"
    assert wall(reminder.due_at) == "Wed 2027-03-17 09:00"
    assert reminder.agreement_id == stored.id and reminder.case_id == stored.case_id
    assert reminder.dedupe_key == f"action:{stored.id}:2027-03-17"


async def test_an_action_due_on_a_saturday_is_reminded_when_the_office_opens(
    db: Database,
) -> None:
    await action(db, date(2027, 3, 20))
    [reminder] = await reminders(db)
    assert wall(reminder.due_at) == "Mon 2027-03-22 08:00"


async def test_an_organisations_action_is_reminded_to_whoever_recorded_it(db: Database) -> None:
    await action(db, date(2027, 3, 17), owner_user_id=None, owner_organisation="Politie")
    [reminder] = await reminders(db)
    assert reminder.user_id == "U0PETRA"


async def test_finishing_an_action_counts_once_and_cancels_its_reminder(db: Database) -> None:
    stored = await action(db, date(2027, 3, 17))
    due = date(2027, 3, 17)
    results = []
    for _ in range(2):
        async with db.session() as session:
            results.append(
                await finish_action(
                    session,
                    agreement_id=stored.id,  # type: ignore[arg-type]
                    expected_due=due,
                    status=AgreementStatus.DONE,
                    by="U0SANNE",
                )
            )
    assert results == [True, False]
    [reminder] = await reminders(db)
    assert reminder.status == ReminderStatus.CANCELLED
    async with db.session() as session:
        done = await session.get(Agreement, stored.id)
    assert done is not None and done.status == AgreementStatus.DONE
    assert done.finished_by == "U0SANNE"


async def test_a_reason_why_an_action_failed_is_encrypted_at_rest(db: Database) -> None:
    stored = await action(db, date(2027, 3, 17))
    async with db.session() as session:
        assert await finish_action(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            expected_due=date(2027, 3, 17),
            status=AgreementStatus.NOT_POSSIBLE,
            by="U0SANNE",
            reason="Gezin was niet thuis",
        )
    async with db.session() as session:
        raw = (
            await session.exec(text("SELECT reason, text FROM agreement"))  # type: ignore[call-overload]
        ).one()
        again = await session.get(Agreement, stored.id)
    assert "niet thuis" not in raw[0] and "Huisbezoek" not in raw[1]
    assert again is not None and again.reason == "Gezin was niet thuis"


async def test_moving_the_due_date_moves_the_reminder_and_an_old_date_moves_nothing(
    db: Database,
) -> None:
    stored = await action(db, date(2027, 3, 17))
    async with db.session() as session:
        moved = await move_due_date(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            expected_due=date(2027, 3, 17),
            new_due=date(2027, 3, 24),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
        stale = await move_due_date(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            expected_due=date(2027, 3, 17),
            new_due=date(2027, 3, 31),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    assert moved is not None and moved.due_date == date(2027, 3, 24) and stale is None
    old, new = await reminders(db)
    assert old.status == ReminderStatus.CANCELLED
    assert new.status == ReminderStatus.PENDING and wall(new.due_at) == "Wed 2027-03-24 09:00"


async def test_closing_the_case_cancels_every_agreement_reminder(db: Database) -> None:
    stored = await action(db, date(2027, 3, 17))
    async with db.session() as session:
        await add_bodemeis(
            session,
            case_id=stored.case_id,
            meeting_id=stored.meeting_id,
            text="Vader komt niet in de woning",
            monitor_user_id="U0SANNE",
            interval_days=7,
            created_by="U0PETRA",
            now=ams(2027, 3, 15, 11, 0),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    async with db.session() as session:
        case = await session.get(Case, stored.case_id)
        assert case is not None
        await close_case(session, case=case)
    assert {r.status for r in await reminders(db)} == {ReminderStatus.CANCELLED}


# ----- bodemeisen -----


async def bodemeis(db: Database, *, now: datetime, interval: int = 7) -> Agreement:
    case_id, meeting_id = await case_and_meeting(db)
    async with db.session() as session:
        return await add_bodemeis(
            session,
            case_id=case_id,
            meeting_id=meeting_id,
            text="Vader komt niet in de woning",
            monitor_user_id="U0SANNE",
            interval_days=interval,
            created_by="U0PETRA",
            now=now,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )


async def test_the_first_check_comes_one_interval_later_at_nine(db: Database) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    [check] = await reminders(db)
    assert check.kind == ReminderKind.BODEMEIS_CHECK and check.user_id == "U0SANNE"
    assert wall(check.due_at) == "Mon 2027-03-22 09:00"
    assert check.dedupe_key == f"bodemeis:{stored.id}:2027-03-22"


async def test_weekly_checks_stay_at_nine_across_both_clock_changes(db: Database) -> None:
    # Last Sunday of March 2027 is the 28th, of October the 31st.
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    previous = ams(2027, 3, 22, 9, 0)
    seen = []
    for now in (ams(2027, 3, 22, 9, 0), ams(2027, 3, 29, 9, 0)):
        async with db.session() as session:
            await schedule_next_check(
                session, agreement=stored, previous=previous, now=now, hours=DEFAULT_HOURS, tz=AMS
            )
        previous = now
    async with db.session() as session:
        await schedule_next_check(
            session,
            agreement=stored,
            previous=ams(2027, 10, 25, 9, 0),
            now=ams(2027, 10, 25, 9, 0),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    seen = [(wall(r.due_at), r.due_at.astimezone(UTC).hour) for r in await reminders(db)]
    assert seen == [
        ("Mon 2027-03-22 09:00", 8),  # winter time: UTC+1
        ("Mon 2027-03-29 09:00", 7),  # the first Monday of summer time: UTC+2
        ("Mon 2027-04-05 09:00", 7),
        ("Mon 2027-11-01 09:00", 8),  # back to winter time
    ]


async def test_scheduling_the_same_next_check_twice_keeps_one(db: Database) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    for _ in range(2):
        async with db.session() as session:
            await schedule_next_check(
                session,
                agreement=stored,
                previous=ams(2027, 3, 22, 9, 0),
                now=ams(2027, 3, 22, 9, 0),
                hours=DEFAULT_HOURS,
                tz=AMS,
            )
    assert len(await reminders(db)) == 2  # the first check and one next one


async def test_checks_missed_while_the_bot_was_down_are_skipped(db: Database) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    async with db.session() as session:
        await schedule_next_check(
            session,
            agreement=stored,
            previous=ams(2027, 3, 22, 9, 0),
            now=ams(2027, 4, 14, 12, 0),  # three weeks late
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    assert wall((await reminders(db))[-1].due_at) == "Mon 2027-04-19 09:00"


async def test_the_first_answer_counts_and_answering_cancels_the_escalation(
    db: Database,
) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    async with db.session() as session:
        await schedule_escalation(
            session,
            agreement=stored,
            occurrence="2027-03-22",
            channel_id="G1",
            sent_at=ams(2027, 3, 22, 9, 0),
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
    escalation = (await reminders(db))[-1]
    assert escalation.kind == ReminderKind.BODEMEIS_ESCALATION
    assert wall(escalation.due_at) == "Wed 2027-03-24 09:00"  # two working days
    answers = []
    for answer in (CheckAnswer.MET, CheckAnswer.NOT_MET):
        async with db.session() as session:
            answers.append(
                await record_check(
                    session,
                    agreement_id=stored.id,  # type: ignore[arg-type]
                    occurrence="2027-03-22",
                    answer=answer,
                    by="U0SANNE",
                )
            )
    assert answers[0] is not None and answers[1] is None
    assert (await reminders(db))[-1].status == ReminderStatus.CANCELLED
    async with db.session() as session:
        [stored_check] = (await session.exec(select(BodemeisCheck))).all()
    assert stored_check.answer == CheckAnswer.MET


async def test_a_late_answer_replaces_no_answer_and_a_note_is_encrypted(db: Database) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    async with db.session() as session:
        assert await record_check(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            occurrence="2027-03-22",
            answer=CheckAnswer.NO_ANSWER,
            by=None,
        )
    async with db.session() as session:
        late = await record_check(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            occurrence="2027-03-22",
            answer=CheckAnswer.UNKNOWN,
            by="U0SANNE",
        )
        assert late is not None and late.answer == CheckAnswer.UNKNOWN
    async with db.session() as session:
        assert await add_note(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            occurrence="2027-03-22",
            note="Moeder niet bereikt",
            by="U0SANNE",
        )
        assert not await add_note(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            occurrence="2027-03-22",
            note="iemand anders",
            by="U0JOOST",
        )
    async with db.session() as session:
        raw = (await session.exec(text("SELECT note FROM bodemeis_check"))).one()  # type: ignore[call-overload]
    assert "bereikt" not in raw[0]


# ----- collaboration and closure -----


async def test_collaboration_is_one_per_meeting_and_the_newest_plan_is_the_escalation_plan(
    db: Database,
) -> None:
    case_id, meeting_id = await case_and_meeting(db)
    for plan in ("Politie bellen", "Direct de procesregisseur bellen"):
        async with db.session() as session:
            await set_single(
                session,
                kind=AgreementKind.COLLABORATION,
                case_id=case_id,
                meeting_id=meeting_id,
                created_by="U0PETRA",
                text="Drie maanden",
                escalation_plan=plan,
            )
    async with db.session() as session:
        rows = await agreements_to_show(session, case_id=case_id, meeting_id=meeting_id)
        plan = await escalation_plan(session, case_id=case_id)
    assert [r.kind for r in rows] == [AgreementKind.COLLABORATION]
    assert plan == "Direct de procesregisseur bellen"


async def test_without_a_collaboration_agreement_there_is_no_plan(db: Database) -> None:
    case_id, _ = await case_and_meeting(db)
    async with db.session() as session:
        assert await escalation_plan(session, case_id=case_id) is None


# ----- retention -----


async def test_purge_finds_and_deletes_every_agreement_table(db: Database) -> None:
    stored = await bodemeis(db, now=ams(2027, 3, 15, 14, 0))
    async with db.session() as session:
        await record_check(
            session,
            agreement_id=stored.id,  # type: ignore[arg-type]
            occurrence="2027-03-22",
            answer=CheckAnswer.MET,
            by="U0SANNE",
        )
        await claim_message(session, meeting_id=stored.meeting_id, channel_id="G1")
    assert MY_TABLES <= {t.name for t in case_conditions(all_tables(), stored.case_id)}
    async with db.session() as session:
        case = await session.get(Case, stored.case_id)
        assert case is not None
        await close_case(session, case=case)
    async with db.session() as session:
        deleted = await purge_case(
            session,
            case_id=stored.case_id,
            closed_before=datetime.now(UTC) + timedelta(days=1),
            actor="admin",
        )
    assert deleted is not None and all(deleted.get(name) == 1 for name in MY_TABLES)
