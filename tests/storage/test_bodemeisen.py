"""Bodemeisen have a life, on SQLite and PostgreSQL: kept ("blijft"), changed as a new version
with the old one on record, or ended with a reason — and their checks follow in the same
transaction."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from flows.schedule import ReminderKind
from storage.agreements import Agreement, AgreementStatus, CheckAnswer
from storage.bodemeis_checks import (
    nominal_check_time,
    record_check,
    schedule_escalation,
    schedule_next_check,
    schedule_retry_escalation,
)
from storage.bodemeisen import (
    ReviewDecision,
    active_bodemeisen,
    active_with_checks,
    bodemeis_history,
    change_bodemeis,
    end_bodemeis,
    keep_bodemeis,
    reviews_in_meeting,
)
from storage.db import Database
from storage.meetings import plan_meeting
from storage.reminder_queue import claim_due, mark_obsolete, mark_sent
from storage.reminders import ReminderStatus
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    MO,
    OUTSIDER,
    PETRA,
    SANNE,
    Case,
    agreement,
    ams,
    audit_actions,
    bodemeis,
    new_case,
    pending,
    raw,
    reminders,
    wall,
)


async def second_meeting(db: Database, case: Case) -> int:
    async with db.session() as session:
        meeting = await plan_meeting(
            session,
            case_id=case.case_id,
            phase="directe_veiligheid",
            scheduled_at=ams(2027, 3, 15, 10),
            planned_by=PETRA,
            invitees=[PETRA, SANNE],
            state="{}",
        )
        return meeting.id  # type: ignore[return-value]


async def change(db: Database, agreement_id: int, **changes: object) -> int | None:
    changes.setdefault("now", ams(2027, 3, 3, 14))
    async with db.session() as session:
        new = await change_bodemeis(
            session,
            agreement_id=agreement_id,
            by=PETRA,
            hours=HOURS,
            tz=AMS,
            **changes,  # type: ignore[arg-type]
        )
        return new.id if new else None


# ----- blijft -----


async def test_blijft_is_recorded_once_per_meeting_and_the_checks_go_on(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    meeting_id = await second_meeting(db, case)
    async with db.session() as session:
        kept = await keep_bodemeis(
            session, agreement_id=first, meeting_id=meeting_id, by=KARIN, now=ams(2027, 3, 15, 10)
        )
        again = await keep_bodemeis(
            session, agreement_id=first, meeting_id=meeting_id, by=PETRA, now=ams(2027, 3, 15, 10)
        )
        [review] = await reviews_in_meeting(session, meeting_id=meeting_id)
    assert (kept, again) == (True, False)
    assert (review.decision, review.decided_by) == (ReviewDecision.KEPT, KARIN)
    assert await pending(db, ReminderKind.BODEMEIS_CHECK) == [(SANNE, "Mon 2027-03-08 09:00")]
    assert "bodemeis_kept" in await audit_actions(db, case.case_id)


# ----- a change is a new version -----


async def test_a_new_monitor_gets_the_next_check_at_once_and_the_old_version_stays(
    db: Database,
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)  # Monday 1 March: checked weekly from Monday 8 March
    second = await change(db, first, monitor_user_id=MO)

    assert second is not None
    old, new = await agreement(db, first), await agreement(db, second)
    assert old.status == AgreementStatus.SUPERSEDED and old.superseded_at == ams(2027, 3, 3, 14)
    assert (new.previous_id, new.version, new.status) == (first, 2, AgreementStatus.OPEN)
    assert (new.text, new.monitor_user_id, new.interval_days) == (old.text, MO, 7)
    # The check Sanne would have had on Monday goes to Mo instead, on the same Monday.
    assert await pending(db, ReminderKind.BODEMEIS_CHECK) == [(MO, "Mon 2027-03-08 09:00")]
    cancelled = await reminders(db, ReminderKind.BODEMEIS_CHECK, status=ReminderStatus.CANCELLED)
    assert [(r.agreement_id, r.user_id) for r in cancelled] == [(first, SANNE)]
    async with db.session() as session:
        assert [b.id for b in await active_bodemeisen(session, case_id=case.case_id)] == [second]
    assert "bodemeis_changed" in await audit_actions(db, case.case_id)


async def test_a_shorter_interval_starts_its_rhythm_from_today(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case, interval_days=28)  # next check Monday 29 March
    await change(db, first, interval_days=7, now=ams(2027, 3, 3, 14))  # Wednesday
    assert await pending(db, ReminderKind.BODEMEIS_CHECK) == [(SANNE, "Wed 2027-03-10 09:00")]


async def test_a_new_wording_in_a_meeting_belongs_to_that_meeting(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    meeting_id = await second_meeting(db, case)
    second = await change(db, first, text="Vader komt niet in de straat", meeting_id=meeting_id)
    assert second is not None
    new = await agreement(db, second)
    assert (new.text, new.meeting_id) == ("Vader komt niet in de straat", meeting_id)
    async with db.session() as session:
        [review] = await reviews_in_meeting(session, meeting_id=meeting_id)
    assert (review.agreement_id, review.decision, review.successor_id) == (
        first,
        ReviewDecision.CHANGED,
        second,
    )


async def test_blijft_and_then_changed_after_all_in_one_meeting_keeps_the_last_decision(
    db: Database,
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    meeting_id = await second_meeting(db, case)
    async with db.session() as session:
        await keep_bodemeis(
            session, agreement_id=first, meeting_id=meeting_id, by=PETRA, now=ams(2027, 3, 15, 10)
        )
    await change(db, first, interval_days=14, meeting_id=meeting_id, now=ams(2027, 3, 15, 11))
    async with db.session() as session:
        reviews = await reviews_in_meeting(session, meeting_id=meeting_id)
    assert [(r.agreement_id, r.decision) for r in reviews] == [(first, ReviewDecision.CHANGED)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "a change needs"),
        ({"monitor_user_id": SANNE, "interval_days": 7}, "a change needs"),
        ({"interval_days": -1}, "at least one day"),
        ({"monitor_user_id": OUTSIDER}, "participant"),
        ({"text": "   "}, "needs a text"),
    ],
)
async def test_a_change_that_is_no_change_or_invalid_is_refused_and_nothing_moves(
    db: Database, changes: dict[str, object], message: str
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    with pytest.raises(ValueError, match=message):
        await change(db, first, **changes)
    assert (await agreement(db, first)).status == AgreementStatus.OPEN
    assert await pending(db, ReminderKind.BODEMEIS_CHECK) == [(SANNE, "Mon 2027-03-08 09:00")]
    async with db.session() as session:
        [series] = await bodemeis_history(session, case_id=case.case_id)
    assert len(series.versions) == 1


async def test_two_regisseurs_changing_one_bodemeis_at_once_make_one_new_version(
    db: Database, second_db: Database
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    results = await asyncio.gather(
        change(db, first, monitor_user_id=MO), change(second_db, first, monitor_user_id=KARIN)
    )
    assert sorted(r is not None for r in results) == [False, True]
    async with db.session() as session:
        [series] = await bodemeis_history(session, case_id=case.case_id)
    assert [v.version for v in series.versions] == [1, 2]
    assert len(await pending(db, ReminderKind.BODEMEIS_CHECK)) == 1


async def test_a_superseded_version_can_no_longer_be_changed_kept_or_ended(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    await change(db, first, monitor_user_id=MO)
    assert await change(db, first, monitor_user_id=KARIN) is None
    async with db.session() as session:
        now = ams(2027, 3, 4, 9)
        assert not await keep_bodemeis(
            session, agreement_id=first, meeting_id=None, by=PETRA, now=now
        )
        assert not await end_bodemeis(
            session, agreement_id=first, by=PETRA, reason="Niet meer nodig", now=now
        )


async def test_over_weeks_the_checks_follow_each_change_and_stop_at_the_end(
    db: Database, second_db: Database
) -> None:
    """The poller and the check sender's storage calls, hour by hour, another process each
    ISO week: a new monitor in week 2, a new interval in week 4, the end in week 6."""
    case = await new_case(db)
    first = await bodemeis(db, case)
    sent: list[tuple[str | None, str]] = []
    decisions = {
        ams(2027, 3, 10, 15): {"monitor_user_id": MO},
        ams(2027, 3, 24, 15): {"interval_days": 14},
    }
    current: int = first
    now = ams(2027, 3, 1, 12)
    while now <= ams(2027, 5, 1, 12):
        process = (db, second_db)[now.isocalendar().week % 2]
        if now in decisions:
            new = await change(process, current, now=now, **decisions[now])
            assert new is not None
            current = new
        if now == ams(2027, 4, 12, 15):
            async with process.session() as session:
                assert await end_bodemeis(
                    session, agreement_id=current, by=PETRA, reason="Veilig", now=now
                )
        for reminder in await claim_due(process, now=now, limit=10):
            assert reminder.id is not None and reminder.agreement_id is not None
            async with process.session() as session:
                stored = await session.get(Agreement, reminder.agreement_id)
                assert stored is not None
                if stored.status != AgreementStatus.OPEN:  # the sender's "obsolete"
                    await mark_obsolete(process, reminder.id, "agreement_finished")
                    continue
                occurrence = str(reminder.data["occurrence"])
                await schedule_next_check(
                    session,
                    agreement=stored,
                    previous=nominal_check_time(occurrence, AMS),
                    now=now,
                    hours=HOURS,
                    tz=AMS,
                )
            await mark_sent(process, reminder.id, "1.1", claim_token=reminder.claim_token, now=now)
            sent.append((reminder.user_id, wall(now)))
        now += timedelta(hours=1)
    assert sent == [
        (SANNE, "Mon 2027-03-08 09:00"),
        (MO, "Mon 2027-03-15 09:00"),  # the new monitor, on the series' own Monday
        (MO, "Mon 2027-03-22 09:00"),
        (MO, "Mon 2027-03-29 09:00"),  # the longer interval starts after this one (and DST)
        (MO, "Mon 2027-04-12 09:00"),  # two weeks later; ended that afternoon
    ]
    assert await pending(db, ReminderKind.BODEMEIS_CHECK) == []


# ----- ending -----


async def test_an_ended_bodemeis_gets_no_more_checks_or_escalations(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    stored = await agreement(db, first)
    async with db.session() as session:
        await schedule_escalation(
            session,
            agreement=stored,
            occurrence="2027-03-08",
            channel_id="G1",
            sent_at=ams(2027, 3, 8, 9),
            hours=HOURS,
            tz=AMS,
        )
        await schedule_retry_escalation(
            session, agreement=stored, occurrence="2027-03-08", channel_id="G1", now=ams(2027, 3, 9)
        )
    async with db.session() as session:
        ended = await end_bodemeis(
            session,
            agreement_id=first,
            by=KARIN,
            reason="Vader is verhuisd naar een andere stad",
            now=ams(2027, 3, 9, 10),
        )
    assert ended
    assert [r.status for r in await reminders(db)] == [ReminderStatus.CANCELLED] * 3
    done = await agreement(db, first)
    assert (done.status, done.ended_by, done.ended_at) == (
        AgreementStatus.ENDED,
        KARIN,
        ams(2027, 3, 9, 10),
    )
    assert done.end_reason == "Vader is verhuisd naar een andere stad"
    [(stored_reason,)] = await raw(db, f"SELECT end_reason FROM agreement WHERE id = {first}")
    assert "verhuisd" not in str(stored_reason)  # encrypted at rest
    assert "bodemeis_ended" in await audit_actions(db, case.case_id)


async def test_ending_needs_a_reason_and_changes_nothing_without_one(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    async with db.session() as session:
        with pytest.raises(ValueError, match="reason"):
            await end_bodemeis(
                session, agreement_id=first, by=PETRA, reason="  ", now=ams(2027, 3, 2)
            )
    assert (await agreement(db, first)).status == AgreementStatus.OPEN
    assert len(await pending(db, ReminderKind.BODEMEIS_CHECK)) == 1


# ----- reads: the report's history, the overview's latest checks -----


async def test_a_bodemeis_changed_in_one_meeting_and_ended_in_the_next_shows_both_versions(
    db: Database,
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    other = await bodemeis(db, case, wording="Moeder belt wekelijks met het wijkteam")
    meeting_id = await second_meeting(db, case)
    second = await change(
        db, first, text="Vader komt niet in de straat", meeting_id=meeting_id, now=ams(2027, 3, 15)
    )
    assert second is not None
    async with db.session() as session:
        await end_bodemeis(
            session,
            agreement_id=second,
            by=PETRA,
            reason="Contactverbod opgelegd",
            now=ams(2027, 4, 12),
        )
        history = await bodemeis_history(session, case_id=case.case_id)
    assert [[v.id for v in s.versions] for s in history] == [[first, second], [other]]
    assert [v.text for v in history[0].versions] == [
        "Vader komt niet bij de woning",
        "Vader komt niet in de straat",
    ]
    assert [v.status for v in history[0].versions] == [
        AgreementStatus.SUPERSEDED,
        AgreementStatus.ENDED,
    ]
    assert [r.decision for r in history[0].reviews] == [
        ReviewDecision.CHANGED,
        ReviewDecision.ENDED,
    ]
    assert not history[0].active and history[1].active


async def test_a_changed_bodemeis_keeps_its_place_among_those_in_force(db: Database) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    other = await bodemeis(db, case, wording="Moeder belt wekelijks met het wijkteam")
    second = await change(db, first, monitor_user_id=MO)
    third = await change(db, second, interval_days=14)  # type: ignore[arg-type]
    async with db.session() as session:
        assert [b.id for b in await active_bodemeisen(session, case_id=case.case_id)] == [
            third,
            other,
        ]


async def test_the_overview_lists_each_bodemeis_in_force_with_its_latest_check(
    db: Database,
) -> None:
    case = await new_case(db)
    first = await bodemeis(db, case)
    unchecked = await bodemeis(db, case, wording="Moeder belt wekelijks met het wijkteam")
    async with db.session() as session:
        for occurrence, answer, at in (
            ("2027-03-15", CheckAnswer.NOT_MET, ams(2027, 3, 15, 10)),
            ("2027-03-08", CheckAnswer.MET, ams(2027, 3, 16, 10)),  # a late answer, older check
        ):
            await record_check(
                session,
                agreement_id=first,
                occurrence=occurrence,
                answer=answer,
                by=SANNE,
                now=at,
            )
    async with db.session() as session:
        lines = await active_with_checks(session, case_id=case.case_id)
    assert [(b.id, c.occurrence if c else None, c.answer if c else None) for b, c in lines] == [
        (first, "2027-03-15", CheckAnswer.NOT_MET),
        (unchecked, None, None),
    ]
