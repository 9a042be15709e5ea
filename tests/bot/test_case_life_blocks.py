"""Block Kit of who is in a case, a safe close, aftercare and absence: pure builders checked
with slack_sdk's models (Slack's limits), and the small kit helpers they use."""

from __future__ import annotations

from datetime import date

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.closing.blocks import aftercare_dm, close_modal, settle_block_id
from bot.home.absence import absence_errors, absence_modal
from bot.kit.slack import error_code
from bot.kit.standin import marked
from storage.absence import Recipient
from storage.agreements import Agreement, AgreementKind
from storage.closing import ClosingBlockers


def _action(agreement_id: int, text: str) -> Agreement:
    return Agreement(id=agreement_id, case_id=1, meeting_id=1, kind=AgreementKind.ACTION, text=text)


def _parsed(blocks: list[dict]) -> list[dict]:
    return [b.to_dict() for b in Block.parse_all(blocks)]  # type: ignore[union-attr]


def test_the_close_form_asks_a_reason_only_without_an_afsluitingsplan() -> None:
    long = "Huisbezoek " * 400  # longer than a label may be
    without = ClosingBlockers(
        open_actions=(_action(7, long),), active_bodemeisen=(), afsluitingsplan=None
    )
    view = close_modal("nl", case_id=1, meeting_id=2, code="ZVH-1", blockers=without)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert "reason" in ids and settle_block_id(7) in ids
    label = next(b for b in view["blocks"] if b.get("block_id") == "settle:7")["label"]["text"]
    assert len(label) <= 2000
    assert _parsed(view["blocks"]) == view["blocks"]
    plan = _action(9, "Bij nieuwe zorgen belt de school Veilig Thuis")
    with_plan = ClosingBlockers(open_actions=(), active_bodemeisen=(), afsluitingsplan=plan)
    view = close_modal("en", case_id=1, meeting_id=2, code="ZVH-1", blockers=with_plan)
    assert "reason" not in [b.get("block_id") for b in view["blocks"]]
    assert "No actions or bodemeisen are open" in str(view["blocks"])


def test_the_aftercare_dm_asks_before_it_reopens() -> None:
    blocks = aftercare_dm("nl", case_id=3, closure_id=5, code="ZVH-1", closed_on="1 mrt")
    reopen = blocks[-1]["elements"][1]
    assert reopen["action_id"] == "aftercare_reopen" and "confirm" in reopen
    assert "Gaat het nog goed met dit gezin?" in blocks[0]["text"]["text"]


def test_absence_input_is_checked() -> None:
    today = date(2026, 12, 1)
    errors = absence_errors(
        "nl", user_id="U1", until=date(2026, 11, 30), stand_in="U1", today=today
    )
    assert set(errors) == {"until", "stand_in"}
    assert absence_errors("nl", user_id="U1", until=today, stand_in="U2", today=today) == {}
    assert absence_modal("en", today=today)["blocks"][0]["element"]["initial_date"] == "2026-12-01"


def test_a_reminder_to_a_stand_in_is_marked() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    assert marked("nl", Recipient("U1"), blocks) == blocks
    shown = marked("nl", Recipient("U2", stand_in_for="U1"), blocks)
    assert "Namens <@U1>" in str(shown[0]) and shown[1:] == blocks
    via_lead = marked("en", Recipient("U3", stand_in_for="U1", via_lead=True), blocks)
    assert "as regisseur" in str(via_lead[0])


def test_a_5xx_without_json_has_no_code() -> None:
    class Html:
        data = "<html>Bad gateway</html>"

    assert error_code(SlackApiError("boom", Html())) == "slack_error"  # type: ignore[arg-type]
    assert error_code(SlackApiError("boom", {"ok": False, "error": "restricted_action"})) == (
        "restricted_action"
    )
