"""The agreement builders, checked by output: Slack's limits (slack_sdk parses them back), the
buttons only where agreements are made, the tokens in DM buttons, both languages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.agreements.blocks import (
    CollaborationForm,
    action_modal,
    agreement_buttons,
    agreements_message,
    bodemeis_modal,
    closure_modal,
    collaboration_modal,
    local_date,
    not_possible_modal,
    note_modal,
    parse_token,
    token,
)
from bot.agreements.dms import (
    Escalation,
    action_due_dm,
    check_answered_dm,
    check_dm,
    escalation_message,
)
from bot.kit.i18n import LANGUAGES, catalogue
from bot.kit.payloads import Ref, decode
from flows.catalogue import load_catalogue
from flows.steps import phase_steps
from storage.agreements import (
    INTERVALS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CheckAnswer,
    Priority,
)

AMS = ZoneInfo("Europe/Amsterdam")
CATALOGUE = load_catalogue(None)
REF = Ref(meeting_id=7, version=3)


def roundtrip(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What slack_sdk makes of the blocks: equal means nothing was dropped or invalid."""
    parsed = [block.to_dict() for block in Block.parse_all(blocks)]
    assert parsed == blocks
    return blocks


def texts(blocks: list[dict[str, Any]]) -> str:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements") or []:
            inner = element.get("text")
            found.append(inner["text"] if isinstance(inner, dict) else str(inner or ""))
        if isinstance(block.get("label"), dict):
            found.append(block["label"]["text"])
    return "\n".join(found)


def action(**values: Any) -> Agreement:
    defaults: dict[str, Any] = {
        "id": 12,
        "case_id": 1,
        "meeting_id": 7,
        "kind": AgreementKind.ACTION,
        "text": "Huisbezoek door het wijkteam",
        "owner_user_id": "U0SANNE",
        "due_date": date(2027, 3, 17),
        "priority": Priority.HIGH,
        "created_by": "U0PETRA",
    }
    return Agreement(**{**defaults, **values})


# ----- buttons under the questions -----


@pytest.mark.parametrize("phase", [p.key for p in CATALOGUE.phases])
def test_record_buttons_only_in_besluitvorming_afspraken_and_afsluitingsplan(phase: str) -> None:
    for step in phase_steps(CATALOGUE.phase(phase)):
        blocks = agreement_buttons("nl", step, REF)
        name = step.section.name
        if name not in ("besluitvorming", "afspraken", "afsluitingsplan"):
            assert blocks is None, step.key
            continue
        assert blocks is not None
        roundtrip(blocks)
        ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
        expected = {
            "besluitvorming": ["agreement_action_open", "agreement_bodemeis_open"],
            "afspraken": [
                "agreement_collaboration_open",
                "agreement_action_open",
                "agreement_bodemeis_open",
            ],
            "afsluitingsplan": ["agreement_closure_open"],
        }[name]
        assert ids == expected
        values = {e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
        # The meeting only: the form stays usable while the question is on screen.
        assert {decode(v) for v in values} == {Ref(meeting_id=7)}


# ----- tokens -----


def test_a_token_names_an_agreement_and_a_date_and_nothing_else_parses() -> None:
    assert parse_token(token(12, date(2027, 3, 17))) == (12, date(2027, 3, 17))
    assert parse_token(token(12, "2027-03-22")) == (12, date(2027, 3, 22))
    for forged in (
        None,
        "",
        "12",
        "0:2027-03-17",
        "12:2027-13-01",
        "x:2027-03-17",
        "12:2027-03-17:1",
        "-1:2027-03-17",
        "12345678901:2027-03-17",
    ):
        assert parse_token(forged) is None, forged


# ----- modals -----


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_modal_fits_slacks_limits_and_carries_its_reference(lang: str) -> None:
    form = CollaborationForm(
        code="ZVH-2026-014",
        phase_title="Directe veiligheid",
        timeline="Drie maanden",
    )
    choice = Ref(case_id=1, choice=token(12, date(2027, 3, 17)))
    views = [
        action_modal(lang, ref=REF, code="ZVH-2026-014", due=date(2027, 3, 17)),
        bodemeis_modal(lang, ref=REF, code="ZVH-2026-014"),
        collaboration_modal(lang, ref=REF, form=form),
        collaboration_modal(
            lang,
            ref=REF,
            form=CollaborationForm(code="ZVH-2026-014", phase_title="x", planned="ma 29"),
        ),
        closure_modal(lang, ref=REF, code="ZVH-2026-014", current=None),
        not_possible_modal(lang, ref=choice, what="Huisbezoek"),
        note_modal(lang, ref=choice, text="Vader komt niet in de woning"),
    ]
    for view in views:
        assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
        assert decode(view["private_metadata"]) in (REF, choice)
        roundtrip(view["blocks"])


def test_the_action_modal_defaults_to_normal_priority_and_the_given_date() -> None:
    view = action_modal("nl", ref=REF, code="ZVH-2026-014", due=date(2027, 3, 17))
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["priority"]["element"]["initial_option"]["value"] == "normaal"
    assert by_id["due_date"]["element"]["initial_date"] == "2027-03-17"
    assert by_id["owner_user"]["optional"] and by_id["owner_organisation"]["optional"]


def test_the_bodemeis_modal_checks_weekly_by_default() -> None:
    view = bodemeis_modal("nl", ref=REF, code="ZVH-2026-014")
    [interval] = [b for b in view["blocks"] if b.get("block_id") == "interval"]
    assert interval["element"]["initial_option"]["value"] == "7"
    assert [o["value"] for o in interval["element"]["options"]] == [str(d) for d in INTERVALS]


def test_a_planned_next_meeting_is_shown_instead_of_asked_again() -> None:
    planned = CollaborationForm(code="Z-1", phase_title="x", planned="ma 29 mrt 2027 14:00")
    view = collaboration_modal("nl", ref=REF, form=planned)
    ids = {b.get("block_id") for b in view["blocks"]}
    assert "next_date" not in ids and "ma 29 mrt 2027 14:00" in texts(view["blocks"])


# ----- the agreements message -----


def test_the_message_groups_agreements_and_marks_status_and_origin() -> None:
    items = [
        action(),
        action(
            id=13,
            text="Aangifte",
            owner_user_id=None,
            owner_organisation="Politie",
            status=AgreementStatus.DONE,
        ),
        action(id=14, text="Oud", meeting_id=3, due_date=date(2027, 3, 1)),
        Agreement(
            id=15,
            case_id=1,
            meeting_id=7,
            kind=AgreementKind.BODEMEIS,
            text="Vader komt niet in de woning",
            monitor_user_id="U0SANNE",
            interval_days=14,
            created_by="U0PETRA",
        ),
        Agreement(
            id=16,
            case_id=1,
            meeting_id=7,
            kind=AgreementKind.COLLABORATION,
            slot="collaboration",
            text="Drie maanden",
            escalation_plan="Bellen",
            next_meeting_id=9,
            created_by="U0PETRA",
        ),
    ]
    blocks = roundtrip(
        agreements_message(
            "nl",
            code="ZVH-2026-014",
            meeting_id=7,
            items=items,
            today=date(2027, 3, 15),
            next_meetings={9: datetime(2027, 3, 29, 14, 0, tzinfo=AMS)},
            tz=AMS,
        )
    )
    shown = texts(blocks)
    assert "Afspraken — casus ZVH-2026-014" in shown
    assert "Huisbezoek door het wijkteam — <@U0SANNE> · uiterlijk wo 17 mrt 2027" in shown
    assert "Aangifte — Politie (zonder Slack)" in shown and "✅ gedaan" in shown
    assert "Oud" in shown and "⚠️ te laat" in shown and "uit een eerder overleg" in shown
    assert "bewaakt door <@U0SANNE> · Elke twee weken" in shown
    assert "*Volgend overleg:* ma 29 mrt 2027 14:00" in shown
    assert "*Als bodemeisen niet worden nagekomen:* Bellen" in shown


def test_long_agreements_are_split_over_sections_never_cut() -> None:
    long_text = "\n".join(f"regel {i} " + "x" * 80 for i in range(400))
    items = [
        Agreement(
            id=1,
            case_id=1,
            meeting_id=7,
            kind=AgreementKind.CLOSURE,
            slot="closure",
            text=long_text,
            created_by="U0PETRA",
        )
    ]
    blocks = roundtrip(
        agreements_message(
            "en",
            code="Z-1",
            meeting_id=7,
            items=items,
            today=date(2027, 3, 15),
            next_meetings={},
            tz=AMS,
        )
    )
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "regel 399" in texts(blocks) and "Afsluitingsplan (closure plan)" in texts(blocks)


def test_an_empty_message_says_so() -> None:
    blocks = agreements_message(
        "nl", code="Z-1", meeting_id=7, items=[], today=date(2027, 3, 15), next_meetings={}, tz=AMS
    )
    assert "Nog geen afspraken" in texts(roundtrip(blocks))


# ----- reminder DMs and the escalation -----


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_action_dm_has_three_answers_carrying_the_due_date(lang: str) -> None:
    ref = Ref(case_id=1, choice=token(12, date(2027, 3, 17)))
    blocks = roundtrip(action_due_dm(lang, code="ZVH-2026-014", agreement=action(), ref=ref))
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [
        "action_done",
        "action_more_time",
        "action_not_possible",
    ]
    assert {decode(b["value"]) for b in buttons} == {ref}
    assert "Huisbezoek door het wijkteam" in texts(blocks) and "2027" in texts(blocks)


def test_an_organisations_action_dm_names_the_organisation() -> None:
    agreement = action(owner_user_id=None, owner_organisation="Politie Midden-Nederland")
    blocks = action_due_dm("nl", code="Z-1", agreement=agreement, ref=Ref(case_id=1))
    assert "Actie van Politie Midden-Nederland" in texts(blocks)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_check_dm_asks_and_its_answer_offers_a_note(lang: str) -> None:
    ref = Ref(case_id=1, choice=token(15, "2027-03-29"))
    asked = roundtrip(
        check_dm(
            lang,
            code="Z-1",
            text="Vader niet in de woning",
            occurrence=date(2027, 3, 29),
            days=2,
            ref=ref,
        )
    )
    ids = [e["action_id"] for b in asked if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["check_met", "check_not_met", "check_unknown"]
    assert local_date(lang, date(2027, 3, 29)) in texts(asked)
    for answer in (CheckAnswer.MET, CheckAnswer.NOT_MET, CheckAnswer.UNKNOWN):
        done = roundtrip(
            check_answered_dm(
                lang, text="Vader", occurrence=date(2027, 3, 29), answer=answer, ref=ref
            )
        )
        ids = [e["action_id"] for b in done if b["type"] == "actions" for e in b["elements"]]
        assert ids == ["check_note_open"]


@pytest.mark.parametrize("answer", [CheckAnswer.NOT_MET, CheckAnswer.NO_ANSWER])
@pytest.mark.parametrize("plan", ["Direct Veilig Thuis bellen", None])
def test_the_escalation_mentions_the_lead_and_shows_the_plan_or_its_absence(
    answer: CheckAnswer, plan: str | None
) -> None:
    escalation = Escalation(
        code="Z-1",
        text="Vader niet in de woning",
        occurrence=date(2027, 3, 29),
        answer=answer,
        monitor="U0SANNE",
        lead="U0PETRA",
        plan=plan,
        days=2,
    )
    blocks = roundtrip(escalation_message("nl", escalation, Ref(case_id=1)))
    shown = texts(blocks)
    assert "<@U0PETRA>" in shown and "<@U0SANNE>" in shown and "ma 29 mrt 2027" in shown
    assert ("niet nagekomen" if answer is CheckAnswer.NOT_MET else "niet gecontroleerd") in shown
    assert (plan in shown) if plan else ("geen plan afgesproken" in shown)
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "escalation_plan_meeting"
    assert decode(button["value"]) == Ref(case_id=1)


def test_every_key_built_at_run_time_exists_in_both_languages() -> None:
    keys = (
        [f"agreements.priority_{p.value}" for p in Priority]
        + [f"agreements.interval_{days}" for days in INTERVALS]
        + [f"checks.answer_{a.value}" for a in CheckAnswer]
    )
    for lang in LANGUAGES:
        assert [k for k in keys if k not in catalogue(lang)] == [], lang
