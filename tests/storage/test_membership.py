"""Who is in the case, on SQLite and PostgreSQL: removal takes effect at once but never leaves
work unowned; a hand-over moves actions, monitoring and escalations with their reminders;
someone removed can be added back; the aanbrengende partner is recorded encrypted."""

from __future__ import annotations

from datetime import date

import pytest

from flows.schedule import ReminderKind
from storage.agreements import AgreementStatus
from storage.cases import create_case, participant, participants
from storage.db import Database
from storage.escalations import escalation_by_id, pick_up
from storage.home import home_data
from storage.meetings import invitees, meetings_of_case, plan_meeting
from storage.membership import (
    HandedOver,
    Removal,
    add_participant,
    hand_over,
    remove_participant,
    responsibilities,
    set_referring_partner,
)
from storage.models import Case as CaseRow
from storage.models import Role
from storage.reminders import ReminderStatus, schedule_meeting_reminders
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    MO,
    OUTSIDER,
    PETRA,
    SANNE,
    Case,
    action,
    agreement,
    ams,
    audit_actions,
    bodemeis,
    escalate,
    new_case,
    pending,
    raw,
    reminders,
)


async def loaded(db: Database) -> tuple[Case, int, int, int, int]:
    """Sanne owns an action, records one for the police, monitors a bodemeis and picked up an
    escalation; she is invited to the next meeting."""
    case = await new_case(db)
    own = await action(db, case)
    for_police = await action(
        db, case, owner=None, organisation="Politie", created_by=SANNE, due=date(2027, 3, 19)
    )
    watched = await bodemeis(db, case)
    async with db.session() as session:
        escalation_id = await escalate(session, case.case_id, watched, at=ams(2027, 3, 10, 9))
        await pick_up(session, escalation_id=escalation_id, user_id=SANNE, now=ams(2027, 3, 10, 10))
        meeting = await plan_meeting(
            session,
            case_id=case.case_id,
            phase="directe_veiligheid",
            scheduled_at=ams(2027, 3, 22, 10),
            planned_by=PETRA,
            invitees=[PETRA, SANNE],
            state="{}",
        )
        await schedule_meeting_reminders(
            session,
            case_id=case.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=ams(2027, 3, 22, 10),
            invitees=[PETRA, SANNE],
            now=ams(2027, 3, 10, 10),
            hours=HOURS,
            tz=AMS,
        )
    return case, own, for_police, watched, escalation_id


async def remove(db: Database, case: Case, user_id: str = SANNE) -> Removal:
    async with db.session() as session:
        return await remove_participant(
            session, case_id=case.case_id, user_id=user_id, by=PETRA, now=ams(2027, 3, 12, 10)
        )


async def hand(
    db: Database, case: Case, to_user: str, agreement_ids: set[int] | None = None
) -> HandedOver:
    async with db.session() as session:
        return await hand_over(
            session,
            case_id=case.case_id,
            from_user=SANNE,
            to_user=to_user,
            by=PETRA,
            now=ams(2027, 3, 11, 10),
            hours=HOURS,
            tz=AMS,
            agreement_ids=agreement_ids,
        )


async def test_someone_who_still_carries_work_cannot_be_removed(db: Database) -> None:
    case, own, for_police, watched, escalation_id = await loaded(db)
    removal = await remove(db, case)
    assert not removal.removed
    carried = removal.to_hand_over
    assert [a.id for a in carried.actions] == [own, for_police]
    assert [b.id for b in carried.bodemeisen] == [watched]
    assert [e.id for e in carried.escalations] == [escalation_id]
    async with db.session() as session:
        assert await participant(session, case_id=case.case_id, user_id=SANNE) is not None
    assert "participant_removed" not in await audit_actions(db, case.case_id)


async def test_a_hand_over_moves_the_work_and_its_reminders_then_removal_takes_effect(
    db: Database,
) -> None:
    case, own, for_police, watched, escalation_id = await loaded(db)
    moved = await hand(db, case, MO)
    assert moved.actions == (own, for_police)
    [(old, new)] = moved.bodemeisen
    assert old == watched and moved.escalations == (escalation_id,)
    assert (await agreement(db, own)).owner_user_id == MO
    police = await agreement(db, for_police)
    assert (police.owner_organisation, police.reminded_user_id, police.recipient) == (
        "Politie",
        MO,
        MO,
    )
    assert (await agreement(db, new)).monitor_user_id == MO
    assert (await agreement(db, watched)).status == AgreementStatus.SUPERSEDED
    assert await pending(db, ReminderKind.ACTION_DUE) == [
        (MO, "Wed 2027-03-17 09:00"),
        (MO, "Fri 2027-03-19 09:00"),
    ]
    assert [user for user, _ in await pending(db, ReminderKind.BODEMEIS_CHECK)] == [MO]
    async with db.session() as session:
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
        assert escalation is not None and escalation.owner_user_id == MO
        assert (await responsibilities(session, case_id=case.case_id, user_id=SANNE)).none
        # Both actions are on Mo's home tab now, the police's too.
        home = await home_data(session, user_id=MO, today=date(2027, 3, 11))
        assert [line.agreement_id for line in home.actions] == [own, for_police]

    removal = await remove(db, case)
    assert removal.removed
    async with db.session() as session:
        assert await participant(session, case_id=case.case_id, user_id=SANNE) is None
        assert SANNE not in {p.user_id for p in await participants(session, case_id=case.case_id)}
        # Dropped from the meetings still to come (her meeting reminder was pending).
        for meeting in await meetings_of_case(session, case_id=case.case_id):
            assert SANNE not in await invitees(session, meeting_id=meeting.id)  # type: ignore[arg-type]
    # No reminder of the case reaches her any more.
    assert [
        r for r in await reminders(db, status=ReminderStatus.PENDING) if r.user_id == SANNE
    ] == []
    actions = await audit_actions(db, case.case_id)
    assert "handed_over" in actions and "participant_removed" in actions


async def test_only_some_agreements_can_be_handed_over(db: Database) -> None:
    case, own, for_police, watched, _ = await loaded(db)
    moved = await hand(db, case, KARIN, {own})
    async with db.session() as session:
        left = await responsibilities(session, case_id=case.case_id, user_id=SANNE)
    assert (moved.actions, moved.bodemeisen, moved.escalations) == ((own,), (), ())
    assert [a.id for a in left.actions] == [for_police]
    assert [b.id for b in left.bodemeisen] == [watched]


@pytest.mark.parametrize("to_user", [OUTSIDER, SANNE])
async def test_a_hand_over_to_someone_outside_the_case_or_to_oneself_is_refused(
    db: Database, to_user: str
) -> None:
    case, own, *_ = await loaded(db)
    with pytest.raises(ValueError):
        await hand(db, case, to_user)
    assert (await agreement(db, own)).owner_user_id == SANNE


async def test_the_last_regisseur_cannot_be_removed(db: Database) -> None:
    case = await new_case(
        db, members=[(PETRA, Role.PROCESREGISSEUR, "ZVH"), (SANNE, Role.DEELNEMER, "")]
    )
    removal = await remove(db, case, PETRA)
    assert not removal.removed and removal.last_regisseur and removal.to_hand_over.none


async def test_removing_someone_not_in_the_case_says_so(db: Database) -> None:
    case = await new_case(db)
    with pytest.raises(LookupError):
        await remove(db, case, OUTSIDER)


async def test_someone_removed_can_be_added_back_and_an_addition_is_audited(db: Database) -> None:
    case = await new_case(db)
    assert (await remove(db, case, MO)).removed
    async with db.session() as session:
        back = await add_participant(
            session,
            case_id=case.case_id,
            user_id=MO,
            role=Role.GAST,
            organisation="Veilig Thuis",
            by=PETRA,
        )
        twice = await add_participant(
            session,
            case_id=case.case_id,
            user_id=MO,
            role=Role.DEELNEMER,
            organisation="",
            by=PETRA,
        )
        member = await participant(session, case_id=case.case_id, user_id=MO)
    assert (back, twice) == (True, False)
    assert member is not None and (member.role, member.removed_at) == (Role.GAST, None)
    assert "participant_added" in await audit_actions(db, case.case_id)


async def test_the_aanbrengende_partner_is_recorded_at_registration_and_encrypted(
    db: Database,
) -> None:
    async with db.session() as session:
        case = await create_case(
            session,
            code="ZVH-2027-099",
            phase="directe_veiligheid",
            channel_id="G9",
            created_by=PETRA,
            members=[(PETRA, Role.PROCESREGISSEUR, "ZVH")],
            referring_partner="Veilig Thuis Midden",
        )
        case_id = case.id
    async with db.session() as session:
        stored = await session.get(CaseRow, case_id)
        assert stored is not None and stored.referring_partner == "Veilig Thuis Midden"
        await set_referring_partner(
            session,
            case_id=case_id,
            partner="Politie Eenheid Midden",
            by=PETRA,  # type: ignore[arg-type]
        )
        with pytest.raises(ValueError):
            await set_referring_partner(session, case_id=case_id, partner=" ", by=PETRA)  # type: ignore[arg-type]
    [(raw_value,)] = await raw(db, f'SELECT referring_partner FROM "case" WHERE id = {case_id}')
    assert "Politie" not in str(raw_value)
    assert "referring_partner_set" in await audit_actions(db, case_id)  # type: ignore[arg-type]
