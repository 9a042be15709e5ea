"""Scale votes in the database, on SQLite and on PostgreSQL: one upsert per click that never lets
an older click win, refuses closed rounds and uninvited voters, and loses nothing under load."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from flows.scale import action_ts_key
from storage.attendance import check_in
from storage.db import Database
from storage.involved import (
    InvolvedView,
    informed_of,
    record_informed,
    record_views,
    views_of_meeting,
)
from storage.meetings import plan_meeting
from storage.models import Case, Participant, Role
from storage.types import utcnow
from storage.votes import (
    VoteRefusal,
    cast_vote,
    close_round,
    closed_rounds_of_case,
    count_votes,
    distribution,
    eligible_voters,
    open_round,
    vote_of,
    voters,
    votes,
    why_not_stored,
)

STEP = "directe_veiligheid.schaalvraag.bezorgdheid"


def ts(raw: str) -> str:
    key = action_ts_key(raw)
    assert key is not None
    return key


async def meeting_with_round(db: Database, invited: list[str]) -> tuple[int, int, int]:
    """(case id, meeting id, round id) with round 1 open and `invited` as participants."""
    async with db.session() as session:
        case = Case(
            code="ZVH-2026-099", phase="directe_veiligheid", channel_id="G1", created_by="U1"
        )
        session.add(case)
        await session.flush()
        for user in invited:
            session.add(Participant(case_id=case.id, user_id=user, role=Role.DEELNEMER))
        meeting = await plan_meeting(
            session,
            case_id=case.id,
            phase="directe_veiligheid",
            scheduled_at=utcnow(),
            planned_by="U1",
            invitees=invited,
            state="{}",
        )
        scale_round = await open_round(
            session, meeting_id=meeting.id, number=1, step_key=STEP, opened_by="U1"
        )
        return case.id, meeting.id, scale_round.id  # type: ignore[return-value]


async def vote(db: Database, meeting_id: int, user: str, value: int, at: str, n: int = 1) -> bool:
    async with db.session() as session:
        stored = await cast_vote(
            session,
            meeting_id=meeting_id,
            round_number=n,
            user_id=user,
            value=value,
            action_ts=ts(at),
        )
    return stored is not None


async def test_a_vote_is_stored_and_a_newer_click_changes_it(db: Database) -> None:
    _, meeting_id, round_id = await meeting_with_round(db, ["U1", "U2"])
    assert await vote(db, meeting_id, "U1", 4, "1712345678.000100")
    assert await vote(db, meeting_id, "U1", 6, "1712345678.000200")
    async with db.session() as session:
        assert await vote_of(session, round_id=round_id, user_id="U1") == 6
        assert await count_votes(session, round_id=round_id) == 1


async def test_an_older_click_arriving_late_never_overwrites_a_newer_one(db: Database) -> None:
    _, meeting_id, round_id = await meeting_with_round(db, ["U1"])
    assert await vote(db, meeting_id, "U1", 8, "1712345679.5")
    assert not await vote(db, meeting_id, "U1", 2, "1712345679.499999")
    # Also when the older one is shorter as text: compared as numbers, not as strings.
    assert not await vote(db, meeting_id, "U1", 3, "999999999.9")
    # The same click delivered twice changes nothing either.
    assert not await vote(db, meeting_id, "U1", 8, "1712345679.5")
    async with db.session() as session:
        assert await vote_of(session, round_id=round_id, user_id="U1") == 8
        why = await why_not_stored(session, meeting_id=meeting_id, round_number=1, user_id="U1")
    assert why is None  # nothing wrong: a newer click is simply kept


async def test_votes_in_a_closed_round_and_by_uninvited_people_change_nothing(
    db: Database,
) -> None:
    _, meeting_id, round_id = await meeting_with_round(db, ["U1", "U2"])
    assert not await vote(db, meeting_id, "U9", 5, "1.0")
    assert not await vote(db, meeting_id, "U1", 5, "1.0", n=2)
    async with db.session() as session:
        assert (
            await why_not_stored(session, meeting_id=meeting_id, round_number=1, user_id="U9")
            is VoteRefusal.NOT_INVITED
        )
        assert (
            await why_not_stored(session, meeting_id=meeting_id, round_number=2, user_id="U1")
            is VoteRefusal.NO_ROUND
        )
    assert await vote(db, meeting_id, "U1", 5, "2.0")
    async with db.session() as session:
        assert await close_round(session, meeting_id=meeting_id, number=1, closed_by="U1")
        assert not await close_round(session, meeting_id=meeting_id, number=1, closed_by="U1")
    assert not await vote(db, meeting_id, "U2", 7, "3.0")
    assert not await vote(db, meeting_id, "U1", 9, "4.0")
    async with db.session() as session:
        assert await votes(session, round_id=round_id) == {"U1": 5}
        assert (
            await why_not_stored(session, meeting_id=meeting_id, round_number=1, user_id="U2")
            is VoteRefusal.CLOSED
        )


async def test_the_database_refuses_scores_outside_one_to_ten(db: Database) -> None:
    _, meeting_id, _ = await meeting_with_round(db, ["U1"])
    with pytest.raises(ValueError):
        await vote(db, meeting_id, "U1", 11, "1.0")
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(
                InvolvedView(
                    meeting_id=meeting_id, role="pleger", step_key=STEP, score=0, recorded_by="U1"
                )
            )


async def test_two_hundred_concurrent_voters_lose_nothing(db: Database) -> None:
    people = [f"U{i:04d}" for i in range(200)]
    case_id, meeting_id, round_id = await meeting_with_round(db, people)
    results = await asyncio.gather(
        *(
            vote(db, meeting_id, user, 1 + i % 10, f"1712345678.{i:06d}")
            for i, user in enumerate(people)
        )
    )
    assert all(results)
    async with db.session() as session:
        assert await count_votes(session, round_id=round_id) == 200
        assert sorted(await voters(session, round_id=round_id)) == people
        assert await distribution(session, round_id=round_id) == dict.fromkeys(range(1, 11), 20)
        # Who is asked to vote is who is present: a vote checks its voter in (bot.votes).
        assert await eligible_voters(session, meeting_id=meeting_id, case_id=case_id) == []
        for user in people:
            await check_in(session, meeting_id=meeting_id, user_id=user, only_unmarked=True)
        assert len(await eligible_voters(session, meeting_id=meeting_id, case_id=case_id)) == 200


async def test_concurrent_clicks_of_one_person_keep_the_newest(db: Database) -> None:
    _, meeting_id, round_id = await meeting_with_round(db, ["U1"])
    clicks = [(value, f"1712345678.{value:06d}") for value in range(1, 11)]
    await asyncio.gather(*(vote(db, meeting_id, "U1", v, at) for v, at in reversed(clicks)))
    async with db.session() as session:
        assert await vote_of(session, round_id=round_id, user_id="U1") == 10


async def test_closed_rounds_of_a_case_come_with_their_distribution(db: Database) -> None:
    case_id, meeting_id, _ = await meeting_with_round(db, ["U1", "U2", "U3"])
    for user, value in (("U1", 3), ("U2", 7), ("U3", 7)):
        await vote(db, meeting_id, user, value, "5.0")
    async with db.session() as session:
        assert await closed_rounds_of_case(session, case_id=case_id) == []
        await close_round(session, meeting_id=meeting_id, number=1, closed_by="U1")
        await open_round(session, meeting_id=meeting_id, number=2, step_key=STEP, opened_by="U1")
    async with db.session() as session:
        rows = await closed_rounds_of_case(session, case_id=case_id)
    assert [(r.number, counts) for _, r, counts in rows] == [(1, {3: 1, 7: 2})]


async def test_the_views_per_role_are_encrypted_and_can_be_corrected(db: Database) -> None:
    _, meeting_id, _ = await meeting_with_round(db, ["U1"])
    async with db.session() as session:
        await record_views(
            session,
            meeting_id=meeting_id,
            step_key=STEP,
            views={"slachtoffer": (4, "Spannend thuis"), "kind_1": (None, "Wil naar oma")},
            by="U1",
        )
        await record_views(
            session,
            meeting_id=meeting_id,
            step_key=STEP,
            views={"slachtoffer": (5, "Rustiger"), "pleger": (7, "")},
            by="U2",
        )
    async with db.session() as session:
        views = await views_of_meeting(session, meeting_id=meeting_id)
        raw = (await session.exec(text("SELECT text FROM involved_view"))).all()  # type: ignore[call-overload]
    assert [(v.role, v.score, v.text, v.recorded_by) for v in views] == [
        ("slachtoffer", 5, "Rustiger", "U2"),
        ("pleger", 7, None, "U2"),
    ]
    assert "Rustiger" not in str(raw)


async def test_informed_of_the_outcome_is_one_answer_per_meeting_its_reason_encrypted(
    db: Database,
) -> None:
    _, meeting_id, _ = await meeting_with_round(db, ["U1"])
    async with db.session() as session:
        await record_informed(
            session, meeting_id=meeting_id, answer="nog_niet", reason="Eerst overleg", by="U1"
        )
        await record_informed(
            session,
            meeting_id=meeting_id,
            answer="nee",
            reason="Zwaarwegend veiligheidsbelang",
            by="U2",
        )
    async with db.session() as session:
        row = await informed_of(session, meeting_id=meeting_id)
        raw = (await session.exec(text("SELECT reason FROM outcome_informed"))).all()  # type: ignore[call-overload]
    assert row is not None and (row.answer, row.reason, row.recorded_by) == (
        "nee",
        "Zwaarwegend veiligheidsbelang",
        "U2",
    )
    assert len(raw) == 1 and "veiligheidsbelang" not in str(raw)
