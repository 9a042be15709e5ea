"""Prep answers in storage, on SQLite and PostgreSQL: stored encrypted, changeable until the
meeting starts, only by invitees who are still participants; pre-scores leave storage only as
a distribution; the status the home tab and planning message show."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import select

from storage.cases import create_case
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Meeting, MeetingStatus, Participant, Role
from storage.prep import (
    PrepAnswer,
    pre_score_distribution,
    prep_of,
    prep_status,
    preps_of_meeting,
    save_prep,
)
from storage.types import utcnow

BEELD = "directe_veiligheid.vooraf.beeld_van_het_gezin"
HULP = "directe_veiligheid.vooraf.hulpverlening"


async def planned(db: Database, invited: tuple[str, ...] = ("U0SANNE", "U0JOOST", "U0ILSE")) -> int:
    async with db.session() as session:
        case = await create_case(
            session,
            code="ZVH-2026-014",
            phase="directe_veiligheid",
            channel_id="C0CASUSDEMO",
            created_by="U0PETRA",
            members=[
                ("U0PETRA", Role.PROCESREGISSEUR, "Zorg- en Veiligheidshuis"),
                ("U0SANNE", Role.DEELNEMER, "Wijkteam Utrecht-Oost"),
                ("U0JOOST", Role.DEELNEMER, "Reclassering Nederland"),
                ("U0ILSE", Role.DEELNEMER, "Politie Midden-Nederland"),
                ("U0LOTTE", Role.DEELNEMER, "GGZ Centraal"),
            ],
        )
        meeting = await plan_meeting(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            phase="directe_veiligheid",
            scheduled_at=datetime(2026, 12, 17, 9, 0, tzinfo=UTC),
            planned_by="U0PETRA",
            invitees=invited,
            state="{}",
        )
        assert meeting.id is not None
        return meeting.id


async def save(
    db: Database, meeting_id: int, user: str, score: int | None = None, **texts: str
) -> bool:
    async with db.session() as session:
        return await save_prep(
            session, meeting_id=meeting_id, user_id=user, texts=texts, pre_score=score
        )


async def test_an_answer_is_stored_encrypted_with_the_organisation(db: Database) -> None:
    meeting_id = await planned(db)
    assert await save(db, meeting_id, "U0SANNE", 4, **{BEELD: "Moeder en twee kinderen."})
    async with db.session() as session:
        stored = await prep_of(session, meeting_id=meeting_id, user_id="U0SANNE")
        raw = (await session.exec(text("SELECT answers FROM prep_answer"))).one()[0]  # type: ignore[call-overload]
    assert stored is not None
    assert stored.texts == {BEELD: "Moeder en twee kinderen."}
    assert stored.pre_score == 4 and stored.organisation == "Wijkteam Utrecht-Oost"
    assert "Moeder" not in raw and raw.startswith("gAAAA")  # a Fernet token, not the text


async def test_changing_an_answer_replaces_it_and_keeps_when_it_was_first_given(
    db: Database,
) -> None:
    meeting_id = await planned(db)
    await save(db, meeting_id, "U0SANNE", 4, **{BEELD: "eerste versie"})
    async with db.session() as session:
        first = await prep_of(session, meeting_id=meeting_id, user_id="U0SANNE")
    assert await save(db, meeting_id, "U0SANNE", None, **{HULP: "Wijkteam, schuldhulp", BEELD: ""})
    async with db.session() as session:
        rows = await preps_of_meeting(session, meeting_id=meeting_id)
    assert first is not None and len(rows) == 1
    [row] = rows
    assert row.texts == {HULP: "Wijkteam, schuldhulp"}  # an emptied answer is gone
    assert row.pre_score is None
    assert row.submitted_at == first.submitted_at and row.updated_at >= first.updated_at


async def test_nothing_is_stored_once_the_meeting_started(db: Database) -> None:
    meeting_id = await planned(db)
    await save(db, meeting_id, "U0SANNE", **{BEELD: "voor de start"})
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.status = MeetingStatus.RUNNING
        session.add(meeting)
    assert not await save(db, meeting_id, "U0SANNE", **{BEELD: "na de start"})
    assert not await save(db, meeting_id, "U0JOOST", **{BEELD: "te laat"})
    async with db.session() as session:
        rows = await preps_of_meeting(session, meeting_id=meeting_id)
    assert [r.texts[BEELD] for r in rows] == ["voor de start"]


async def test_only_invitees_who_are_still_participants_can_answer(db: Database) -> None:
    meeting_id = await planned(db)
    assert not await save(db, meeting_id, "U0LOTTE", **{BEELD: "niet uitgenodigd"})
    assert not await save(db, meeting_id, "U0ONBEKEND", **{BEELD: "geen deelnemer"})
    async with db.session() as session:
        joost = (
            await session.exec(select(Participant).where(Participant.user_id == "U0JOOST"))
        ).one()
        joost.removed_at = utcnow()
        session.add(joost)
    assert not await save(db, meeting_id, "U0JOOST", **{BEELD: "van de casus gehaald"})
    async with db.session() as session:
        assert not (await session.exec(select(PrepAnswer))).all()


async def test_pre_scores_come_out_only_as_a_distribution(db: Database) -> None:
    meeting_id = await planned(db)
    await save(db, meeting_id, "U0SANNE", 4, **{BEELD: "a"})
    await save(db, meeting_id, "U0JOOST", 4, **{BEELD: "b"})
    await save(db, meeting_id, "U0ILSE", None, **{BEELD: "c"})
    async with db.session() as session:
        assert await pre_score_distribution(session, meeting_id=meeting_id) == {4: 2}
    await save(db, meeting_id, "U0ILSE", 7, **{BEELD: "c"})
    async with db.session() as session:
        assert await pre_score_distribution(session, meeting_id=meeting_id) == {4: 2, 7: 1}


async def test_prep_status_lists_invitees_per_organisation_without_content(db: Database) -> None:
    meeting_id = await planned(db)
    await save(db, meeting_id, "U0JOOST", **{BEELD: "b"})
    async with db.session() as session:
        status = await prep_status(session, meeting_id=meeting_id)
    assert [e.user_id for e in status.entries] == ["U0SANNE", "U0JOOST", "U0ILSE"]
    assert [e.user_id for e in status.answered] == ["U0JOOST"]
    assert [e.user_id for e in status.pending] == ["U0SANNE", "U0ILSE"]
    assert list(status.by_organisation()) == [
        "Wijkteam Utrecht-Oost",
        "Reclassering Nederland",
        "Politie Midden-Nederland",
    ]
    # Someone taken off the case is no longer expected to prepare.
    async with db.session() as session:
        ilse = (
            await session.exec(select(Participant).where(Participant.user_id == "U0ILSE"))
        ).one()
        ilse.removed_at = utcnow()
        session.add(ilse)
    async with db.session() as session:
        status = await prep_status(session, meeting_id=meeting_id)
        unknown = await prep_status(session, meeting_id=999)
    assert [e.user_id for e in status.pending] == ["U0SANNE"]
    assert unknown.entries == ()
