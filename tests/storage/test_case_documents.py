"""The veiligheidsplan and the family's agreements gathered from the database, on SQLite and
PostgreSQL: what the document shows is what is stored, after every change."""

from __future__ import annotations

from datetime import date

from flows import family_agreements, veiligheidsplan
from flows.veiligheidsplan import Person, PlanAbsence, PlanPostponement
from storage.absence import set_absence
from storage.agreements import AgreementKind, CheckAnswer, set_single
from storage.bodemeis_checks import record_check
from storage.bodemeisen import change_bodemeis, end_bodemeis
from storage.cases import close_case
from storage.db import Database
from storage.escalations import EscalationKind, pick_up
from storage.family import gather_family
from storage.meetings import plan_meeting
from storage.models import Case as CaseRow
from storage.postponements import postpone
from storage.retention import purge_case
from storage.types import utcnow
from storage.veiligheidsplan import gather_plan
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    MO,
    PETRA,
    SANNE,
    Case,
    action,
    ams,
    audit_actions,
    bodemeis,
    end_meeting,
    escalate,
    new_case,
    raw,
)

NOW = ams(2027, 3, 18, 9)  # Thursday: the action due on the 17th is late
EMERGENCY = "Bij acuut gevaar: 112. Veilig Thuis: 0800-2000."


async def a_case_in_motion(db: Database) -> tuple[Case, int]:
    case = await new_case(db)
    await end_meeting(db, case.meeting_id, ams(2027, 3, 1, 12))
    watched = await bodemeis(db, case)
    await bodemeis(db, case, wording="Moeder belt wekelijks met het wijkteam", monitor=KARIN)
    late = await action(db, case, due=date(2027, 3, 10))
    await action(db, case, owner=None, organisation="Politie", wording="Stopgesprek met vader")
    async with db.session() as session:
        changed = await change_bodemeis(
            session,
            agreement_id=watched,
            by=PETRA,
            now=ams(2027, 3, 3, 10),
            hours=HOURS,
            tz=AMS,
            monitor_user_id=MO,
        )
        assert changed is not None and changed.id is not None
        await record_check(
            session,
            agreement_id=changed.id,
            occurrence="2027-03-08",
            answer=CheckAnswer.NOT_MET,
            by=MO,
            now=ams(2027, 3, 8, 10),
        )
        escalation_id = await escalate(
            session,
            case.case_id,
            changed.id,
            at=ams(2027, 3, 8, 10),
            kind=EscalationKind.BODEMEIS_NOT_MET,
            raised_by=MO,
        )
        await pick_up(session, escalation_id=escalation_id, user_id=KARIN, now=ams(2027, 3, 8, 11))
        await postpone(
            session,
            agreement_id=late,
            expected_due=date(2027, 3, 10),
            new_due=date(2027, 3, 17),
            by=SANNE,
            now=ams(2027, 3, 10, 9),
            hours=HOURS,
            tz=AMS,
        )
        await set_single(
            session,
            kind=AgreementKind.COLLABORATION,
            case_id=case.case_id,
            meeting_id=case.meeting_id,
            created_by=PETRA,
            text="Over vier weken evalueren",
            escalation_plan="Veilig Thuis belt binnen een dag met moeder en de politie",
            informing="De casusregisseur mailt iedereen na elk huisbezoek",
        )
        await plan_meeting(
            session,
            case_id=case.case_id,
            phase="directe_veiligheid",
            scheduled_at=ams(2027, 3, 29, 10),
            planned_by=PETRA,
            invitees=[PETRA, KARIN, SANNE, MO],
            state="{}",
        )
        await set_absence(
            session,
            user_id=SANNE,
            until=date(2027, 3, 19),
            stand_in_user_id=MO,
            by=SANNE,
            today=date(2027, 3, 15),
            now=ams(2027, 3, 15, 9),
        )
    return case, changed.id


async def test_the_veiligheidsplan_gathers_what_is_stored(db: Database) -> None:
    case, changed = await a_case_in_motion(db)
    async with db.session() as session:
        plan = await gather_plan(
            session, case_id=case.case_id, now=NOW, tz=AMS, emergency_text=EMERGENCY
        )
    assert plan.case_code == "ZVH-2027-016" and plan.phase == "directe_veiligheid"
    [watched, calls] = plan.bodemeisen
    assert (watched.monitor, watched.version, watched.last_answer, watched.last_checked) == (
        Person(MO, "Veilig Thuis"),
        2,
        CheckAnswer.NOT_MET,
        date(2027, 3, 8),
    )
    assert (calls.monitor, calls.last_answer) == (Person(KARIN, "Veilig Thuis"), None)
    [late, police] = plan.actions
    assert late.owner == Person(SANNE, "Wijkteam", stand_in=MO)
    assert late.postponements == (PlanPostponement(date(2027, 3, 10), date(2027, 3, 17), False),)
    assert (police.owner, police.text) == (Person(None, "Politie"), "Stopgesprek met vader")
    assert plan.escalation_plan == "Veilig Thuis belt binnen een dag met moeder en de politie"
    assert plan.informing == "De casusregisseur mailt iedereen na elk huisbezoek"
    assert plan.next_meeting == ams(2027, 3, 29, 10)
    [escalation] = plan.escalations
    assert (escalation.kind, escalation.owner, escalation.about) == (
        EscalationKind.BODEMEIS_NOT_MET,
        KARIN,
        "Vader komt niet bij de woning",
    )
    assert plan.absences == (PlanAbsence(SANNE, date(2027, 3, 19), MO),)
    markdown = veiligheidsplan.render(plan, "nl", AMS)
    assert "![](@U0MO) (Veilig Thuis)" in markdown and "**niet nagekomen**" in markdown
    assert "vervangen door ![](@U0MO)" in markdown

    # The document follows the record: a bodemeis ended is gone from the next rendering.
    async with db.session() as session:
        await end_bodemeis(session, agreement_id=changed, by=PETRA, reason="Contactverbod", now=NOW)
        after = await gather_plan(
            session, case_id=case.case_id, now=NOW, tz=AMS, emergency_text=EMERGENCY
        )
    assert [b.text for b in after.bodemeisen] == ["Moeder belt wekelijks met het wijkteam"]
    assert (
        "Vader komt niet bij de woning"
        not in veiligheidsplan.render(after, "nl", AMS).split("## Als een bodemeis")[0]
    )


async def test_the_family_version_names_organisations_and_never_a_professional(
    db: Database,
) -> None:
    case, _ = await a_case_in_motion(db)
    async with db.session() as session:
        data = await gather_family(
            session, case_id=case.case_id, by=KARIN, now=NOW, emergency_text=EMERGENCY
        )
    assert [(a.organisation, a.what) for a in data.actions] == [
        ("Wijkteam", "Huisbezoek door het wijkteam"),
        ("Politie", "Stopgesprek met vader"),
    ]
    # In the order first agreed, though the first was changed since.
    assert [(b.text, b.checked_by) for b in data.bodemeisen] == [
        ("Vader komt niet bij de woning", "Veilig Thuis"),
        ("Moeder belt wekelijks met het wijkteam", "Veilig Thuis"),
    ]
    assert data.next_meeting == ams(2027, 3, 29, 10)
    for lang in ("nl", "en"):
        markdown = family_agreements.render(data, lang, AMS)
        assert "U0" not in markdown  # no Slack ids, so no names
    assert "family_agreements_made" in await audit_actions(db, case.case_id)


async def test_the_purge_deletes_everything_the_case_life_recorded(db: Database) -> None:
    case, _ = await a_case_in_motion(db)
    async with db.session() as session:
        row = await session.get(CaseRow, case.case_id)
        assert row is not None
        await close_case(session, case=row, actor=PETRA)
    async with db.session() as session:
        deleted = await purge_case(
            session, case_id=case.case_id, closed_before=utcnow(), actor="admin"
        )
    assert deleted is not None
    assert {"escalation", "postponement", "bodemeis_review", "reminder"} <= set(deleted)
    for table in ("escalation", "postponement", "bodemeis_review", "agreement"):
        assert await raw(db, f"SELECT count(*) FROM {table}") == [(0,)]
    # Absences are a person's, not the case's: they stay (and end by themselves).
    assert await raw(db, "SELECT count(*) FROM absence") == [(1,)]
