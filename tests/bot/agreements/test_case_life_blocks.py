"""Builders of the case between meetings (issue 16), checked by their output: the escalation post
in each state, the pick-up DM, the review list within Slack's limits, the pinned plan's mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.agreements.dms import Ownership, owned_escalation, pickup_dm
from bot.agreements.plan_render import MAX_BLOCKS, mrkdwn, mrkdwn_line, pinned_blocks
from bot.agreements.review import MAX_LISTED, Reviewed, review_blocks
from bot.kit.payloads import Ref, decode
from storage.agreements import Agreement
from tests.bot.agreements.test_blocks import roundtrip, texts

EMERGENCY = "Bij acuut gevaar: 112. Veilig Thuis: 0800-2000."


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(
    ("owned", "expected", "shown"),
    [
        (
            Ownership(escalation_id=7),
            ["escalation_pick_up", "escalation_plan_meeting", "escalation_resolve_open"],
            "Nog door niemand opgepakt",
        ),
        (
            Ownership(escalation_id=7, owner="U0KARIM"),
            ["escalation_plan_meeting", "escalation_resolve_open"],
            "Opgepakt door <@U0KARIM>",
        ),
        (
            Ownership(
                escalation_id=7,
                owner="U0KARIM",
                resolution="extra_overleg",
                resolved_by="U0KARIM",
                note="Overleg op vrijdag",
            ),
            [],
            "Extra overleg gepland",
        ),
    ],
)
def test_the_escalation_post_follows_its_owner_and_always_has_the_emergency_line(
    owned: Ownership, expected: list[str], shown: str
) -> None:
    blocks = roundtrip(
        owned_escalation(
            "nl",
            head="🚨 Bodemeis niet nageleefd",
            plan=None,
            ref=Ref(case_id=1),
            owned=owned,
            emergency=EMERGENCY,
        )
    )
    assert action_ids(blocks) == expected
    assert shown in texts(blocks) and EMERGENCY in texts(blocks)
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") in ("escalation_pick_up", "escalation_resolve_open"):
                assert decode(element["value"]) == Ref(case_id=1, choice="7")


def test_the_pick_up_dm_says_how_long_and_offers_the_button() -> None:
    blocks = roundtrip(
        pickup_dm(
            "en",
            code="Z-1",
            hours=4,
            again=False,
            head="🚨 head",
            ref=Ref(case_id=1, choice="7"),
            emergency=EMERGENCY,
        )
    )
    assert "after 4 working hours" in texts(blocks) and EMERGENCY in texts(blocks)
    assert action_ids(blocks) == ["escalation_pick_up"]


def bodemeis(number: int) -> Agreement:
    return Agreement(
        id=number,
        case_id=1,
        meeting_id=1,
        kind="bodemeis",
        text=f"Bodemeis {number}",
        monitor_user_id="U0SANNE",
        interval_days=7,
        created_by="U0PETRA",
        created_at=datetime(2027, 3, 1, tzinfo=UTC),
    )


def test_the_review_lists_at_most_ten_and_stays_within_a_message() -> None:
    listed = [Reviewed(bodemeis(n), (), None) for n in range(1, 15)]
    blocks = roundtrip(review_blocks("nl", listed, [], meeting_id=3, case_id=1))
    assert action_ids(blocks).count("bodemeis_keep") == MAX_LISTED
    assert "nog 4 bodemeisen" in texts(blocks)
    assert len(blocks) <= 2 * MAX_LISTED + 2
    # Between meetings (the home tab): no "blijft", the button names the case.
    between = roundtrip(review_blocks("nl", listed[:1], [], meeting_id=None, case_id=1))
    assert action_ids(between) == ["bodemeis_change_open", "bodemeis_end_open"]
    value = next(e["value"] for b in between if b["type"] == "actions" for e in b["elements"])
    assert decode(value) == Ref(case_id=1, choice="1")


def test_the_pinned_plan_is_the_canvas_document_in_mrkdwn() -> None:
    assert mrkdwn_line("# Veiligheidsplan Z\\-1") == "*Veiligheidsplan Z-1*"
    assert mrkdwn_line("- **Vader \\*niet\\* thuis** — ![](@U0SANNE) (Wijkteam)") == (
        "• *Vader *niet* thuis* — <@U0SANNE> (Wijkteam)"
    )
    assert mrkdwn_line("a < b & c") == "a &lt; b &amp; c"
    assert mrkdwn("## A\n\ntext") == "*A*\n\ntext"
    long = "\n".join(f"- regel {n} " + "x" * 2900 for n in range(80))
    blocks = roundtrip(pinned_blocks("nl", long))
    assert len(blocks) == MAX_BLOCKS and "export" in texts(blocks)
