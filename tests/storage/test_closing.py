"""A safe close, on SQLite and PostgreSQL: only on an afsluitingsplan or an audited override,
with every open action and bodemeis decided on first; then nothing keeps running but one
aftercare question months later, whose "nee" reopens the case — until the purge."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import ReminderKind
from storage.agreements import AgreementKind, AgreementStatus, set_single
from storage.closing import (
    ALREADY_CLOSED,
    BAD_CHOICE,
    NO_AFSLUITINGSPLAN,
    UNDECIDED,
    AftercareAnswer,
    Closed,
    ClosingChoice,
    ClosingRefused,
    Reopened,
    close_case,
    closing_blockers,
    latest_closure,
    record_aftercare,
    reopen_case,
)
from storage.db import Database
from storage.meetings import meetings_of_case, plan_meeting
from storage.models import Case as CaseRow
from storage.models import CaseStatus, MeetingStatus
from storage.reminders import ReminderStatus
from storage.retention import purge_case
from storage.rhythm import overdue_cases
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    PETRA,
    SANNE,
    Case,
    action,
    agreement,
    ams,
    audit_actions,
    bodemeis,
    end_meeting,
    new_case,
    pending,
    raw,
    reminders,
)

CLOSING = ams(2027, 3, 31, 14)  # a Wednesday


async def with_work(db: Database) -> tuple[Case, int, int]:
    case = await new_case(db, phase="herstelgerichte_zorg")
    return case, await action(db, case), await bodemeis(db, case)


async def afsluitingsplan(
    db: Database, case: Case, wording: str = "Bij terugval belt moeder VT"
) -> int:
    async with db.session() as session:
        plan = await set_single(
            session,
            kind=AgreementKind.CLOSURE,
            case_id=case.case_id,
            meeting_id=case.meeting_id,
            created_by=PETRA,
            text=wording,
        )
        return plan.id  # type: ignore[return-value]


async def close(db: Database, case: Case, **values: object) -> Closed:
    values.setdefault("meeting_id", case.meeting_id)
    values.setdefault("now", CLOSING)
    async with db.session() as session:
        return await close_case(
            session,
            case_id=case.case_id,
            by=PETRA,
            hours=HOURS,
            tz=AMS,
            aftercare_months=3,
            **values,  # type: ignore[arg-type]
        )


async def reopen(session: AsyncSession, case: Case, by: str, now: datetime) -> Reopened | None:
    return await reopen_case(
        session,
        case_id=case.case_id,
        by=by,
        now=now,
        hours=HOURS,
        tz=AMS,
        no_next_meeting_days=2,
    )


async def case_row(db: Database, case: Case) -> CaseRow:
    async with db.session() as session:
        row = await session.get(CaseRow, case.case_id)
    assert row is not None
    return row


async def test_the_regisseur_sees_what_stands_between_the_case_and_its_close(db: Database) -> None:
    case, action_id, bodemeis_id = await with_work(db)
    async with db.session() as session:
        before = await closing_blockers(session, case_id=case.case_id, meeting_id=case.meeting_id)
    await afsluitingsplan(db, case)
    async with db.session() as session:
        after = await closing_blockers(session, case_id=case.case_id, meeting_id=case.meeting_id)
        elsewhere = await closing_blockers(session, case_id=case.case_id, meeting_id=None)
    assert [a.id for a in before.open_actions] == [action_id]
    assert [b.id for b in before.active_bodemeisen] == [bodemeis_id]
    assert not before.has_plan and not before.ready
    assert after.has_plan and not after.ready  # the action and the bodemeis are still open
    assert not elsewhere.has_plan  # the plan must be in the closing meeting


@pytest.mark.parametrize(
    ("with_plan", "choices", "override", "code"),
    [
        (True, [], None, UNDECIDED),
        (False, "all", None, NO_AFSLUITINGSPLAN),
        (False, "all", "   ", NO_AFSLUITINGSPLAN),
        (True, "bodemeis_done", None, BAD_CHOICE),
        (True, "unknown", None, BAD_CHOICE),
    ],
)
async def test_a_close_that_is_not_safe_is_refused_and_changes_nothing(
    db: Database,
    with_plan: bool,
    choices: str | list[ClosingChoice],
    override: str | None,
    code: str,
) -> None:
    case, action_id, bodemeis_id = await with_work(db)
    if with_plan:
        await afsluitingsplan(db, case)
    chosen = (
        {
            "all": [
                ClosingChoice(action_id, AgreementStatus.DONE),
                ClosingChoice(bodemeis_id, AgreementStatus.ENDED, "Niet meer nodig"),
            ],
            "bodemeis_done": [
                ClosingChoice(action_id, AgreementStatus.DONE),
                ClosingChoice(bodemeis_id, AgreementStatus.DONE),
            ],
            "unknown": [
                ClosingChoice(action_id, AgreementStatus.DONE),
                ClosingChoice(bodemeis_id, AgreementStatus.ENDED),
                ClosingChoice(999, AgreementStatus.ENDED),
            ],
        }.get(choices, [])
        if isinstance(choices, str)
        else choices
    )
    with pytest.raises(ClosingRefused) as refused:
        await close(db, case, choices=chosen, override_reason=override)
    assert refused.value.code == code
    assert refused.value.blockers is not None
    assert (await case_row(db, case)).status == CaseStatus.OPEN
    assert (await agreement(db, action_id)).status == AgreementStatus.OPEN
    assert {r.status for r in await reminders(db)} == {ReminderStatus.PENDING}


async def test_closing_on_the_afsluitingsplan_settles_everything_and_plans_the_aftercare(
    db: Database,
) -> None:
    case, action_id, bodemeis_id = await with_work(db)
    plan_id = await afsluitingsplan(db, case)
    await close(
        db,
        case,
        choices=[
            ClosingChoice(action_id, AgreementStatus.DONE),
            ClosingChoice(bodemeis_id, AgreementStatus.HANDED_OVER, "Wijkteam bewaakt dit verder"),
        ],
    )
    row = await case_row(db, case)
    assert (row.status, row.closed_at) == (CaseStatus.CLOSED, CLOSING)
    done, handed = await agreement(db, action_id), await agreement(db, bodemeis_id)
    assert (done.status, done.finished_by) == (AgreementStatus.DONE, PETRA)
    assert (handed.status, handed.end_reason) == (
        AgreementStatus.HANDED_OVER,
        "Wijkteam bewaakt dit verder",
    )
    # Every reminder of the case is cancelled; one new one: the aftercare question to the
    # casusregisseur, three months later at nine (30 June: 31 June does not exist).
    assert {r.status for r in await reminders(db) if r.kind != ReminderKind.AFTERCARE} == {
        ReminderStatus.CANCELLED
    }
    assert await pending(db, ReminderKind.AFTERCARE) == [(KARIN, "Wed 2027-06-30 09:00")]
    async with db.session() as session:
        closure = await latest_closure(session, case_id=case.case_id)
    assert closure is not None
    assert (closure.afsluitingsplan_id, closure.override_reason, closure.meeting_id) == (
        plan_id,
        None,
        case.meeting_id,
    )
    actions = await audit_actions(db, case.case_id)
    assert "case_closed" in actions and "case_close_override" not in actions
    assert actions.count("agreement_settled_at_closing") == 2


async def test_closing_without_a_plan_needs_a_reason_which_is_encrypted_and_audited(
    db: Database,
) -> None:
    case = await new_case(db, phase="herstelgerichte_zorg")
    await close(db, case, meeting_id=None, override_reason="Gezin verhuisd naar het buitenland")
    async with db.session() as session:
        closure = await latest_closure(session, case_id=case.case_id)
    assert closure is not None and closure.override_reason == "Gezin verhuisd naar het buitenland"
    [(stored,)] = await raw(db, f"SELECT override_reason FROM case_closure WHERE id = {closure.id}")
    assert "buitenland" not in str(stored)
    assert "case_close_override" in await audit_actions(db, case.case_id)


async def test_a_case_closes_once(db: Database, second_db: Database) -> None:
    case = await new_case(db)
    await afsluitingsplan(db, case)
    await close(db, case)
    with pytest.raises(ClosingRefused) as refused:
        await close(second_db, case)
    assert refused.value.code == ALREADY_CLOSED
    assert len(await reminders(db, ReminderKind.AFTERCARE)) == 1


async def test_closing_calls_off_the_meetings_still_planned(db: Database) -> None:
    case = await new_case(db)
    await afsluitingsplan(db, case)
    async with db.session() as session:
        later = await plan_meeting(
            session,
            case_id=case.case_id,
            phase="herstelgerichte_zorg",
            scheduled_at=ams(2027, 4, 14, 10),
            planned_by=PETRA,
            invitees=[PETRA],
            state="{}",
        )
    closed = await close(db, case)
    async with db.session() as session:
        statuses = {m.id: m.status for m in await meetings_of_case(session, case_id=case.case_id)}
    assert closed.cancelled_meetings == (later.id,)
    # The closing meeting itself is the bot's to end.
    assert statuses == {case.meeting_id: MeetingStatus.PLANNED, later.id: MeetingStatus.CANCELLED}


async def test_the_first_aftercare_answer_counts(db: Database) -> None:
    case = await new_case(db)
    await afsluitingsplan(db, case)
    await close(db, case)
    async with db.session() as session:
        closure = await latest_closure(session, case_id=case.case_id)
        assert closure is not None and closure.id is not None
        first = await record_aftercare(
            session,
            closure_id=closure.id,
            answer=AftercareAnswer.WELL,
            by=KARIN,
            now=CLOSING + timedelta(days=91),
        )
        second = await record_aftercare(
            session,
            closure_id=closure.id,
            answer=AftercareAnswer.REOPEN,
            by=KARIN,
            now=CLOSING + timedelta(days=91),
        )
        await session.refresh(closure)
    assert (first, second, closure.aftercare_answer) == (True, False, AftercareAnswer.WELL)


async def test_reopening_starts_in_directe_veiligheid_and_keeps_nothing_from_falling(
    db: Database,
) -> None:
    case = await new_case(db, phase="herstelgerichte_zorg")
    await afsluitingsplan(db, case)
    await end_meeting(db, case.meeting_id, CLOSING)
    await close(db, case)
    reopened_at = ams(2027, 6, 30, 11)  # the aftercare DM said "nee — casus heropenen"
    async with db.session() as session:
        reopened = await reopen(session, case, KARIN, reopened_at)
        twice = await reopen(session, case, PETRA, reopened_at)
        closure = await latest_closure(session, case_id=case.case_id)
    assert reopened is not None and twice is None
    assert (reopened.case.status, reopened.case.phase, reopened.case.closed_at) == (
        CaseStatus.OPEN,
        "directe_veiligheid",
        None,
    )
    assert reopened.phase == "directe_veiligheid"
    assert reopened.regisseurs == (PETRA, KARIN)
    assert SANNE in reopened.participants
    assert closure is not None and (closure.reopened_by, closure.reopened_at) == (
        KARIN,
        reopened_at,
    )
    assert [r.status for r in await reminders(db, ReminderKind.AFTERCARE)] == [
        ReminderStatus.CANCELLED
    ]
    # Until the bot plans the new meeting, the regisseurs are reminded that none is planned.
    assert await pending(db, ReminderKind.NO_NEXT_MEETING) == [
        (PETRA, "Fri 2027-07-02 11:00"),
        (KARIN, "Fri 2027-07-02 11:00"),
    ]
    assert "case_reopened" in await audit_actions(db, case.case_id)
    # Its last meeting was months ago, but the clock of "overleg te lang geleden" restarts.
    async with db.session() as session:
        limits = {"directe_veiligheid": 14}
        assert (
            await overdue_cases(session, now=reopened_at + timedelta(days=14), limits=limits) == []
        )
        [late] = await overdue_cases(session, now=reopened_at + timedelta(days=15), limits=limits)
    assert (late.case_id, late.since) == (case.case_id, reopened_at)


async def test_a_purged_case_cannot_be_reopened(db: Database) -> None:
    case = await new_case(db)
    await afsluitingsplan(db, case)
    await close(db, case)
    async with db.session() as session:
        deleted = await purge_case(
            session, case_id=case.case_id, closed_before=CLOSING, actor="admin"
        )
    assert deleted is not None and deleted.get("case_closure") == 1
    async with db.session() as session:
        assert await reopen(session, case, KARIN, CLOSING) is None
