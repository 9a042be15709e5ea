"""Block Kit validation on its own: the limits sit exactly where Slack puts them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import BlockKitError
from sandbox.blockkit import check_message_blocks, check_view


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=3100))
def test_section_text_limit_is_3000(length: int):
    blocks = [section("a" * length)]
    if length <= 3000:
        assert check_message_blocks(blocks)[0]["text"]["text"] == "a" * length
    else:
        with pytest.raises(BlockKitError):
            check_message_blocks(blocks)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=40))
def test_modal_title_limit_is_24(length: int):
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * length},
        "blocks": [section("x")],
    }
    if length <= 24:
        assert check_view(view)["title"]["text"] == "t" * length
    else:
        with pytest.raises(BlockKitError, match="title"):
            check_view(view)


def test_form_encoded_blocks_are_json_strings():
    assert check_message_blocks('[{"type": "divider"}]')[0]["type"] == "divider"
    with pytest.raises(BlockKitError) as info:
        check_message_blocks("[{not json")
    assert info.value.error == "invalid_blocks_format"


def test_ids_are_filled_in_but_kept_when_given():
    blocks = check_message_blocks(
        [
            {
                "type": "actions",
                "block_id": "mine",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}],
            },
            {"type": "divider"},
        ]
    )
    assert blocks[0]["block_id"] == "mine" and blocks[0]["elements"][0]["action_id"]
    assert blocks[1]["block_id"]


def test_home_views_need_type_home():
    with pytest.raises(BlockKitError, match="home"):
        check_view({"type": "modal", "blocks": []}, home=True)
    assert check_view({"type": "home", "blocks": []}, home=True)["blocks"] == []
