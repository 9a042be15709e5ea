"""The view of the people involved per role, and informed-of-the-outcome: the builders and the
reading of a submitted form, by their output."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.kit.ids import ActionId, Field
from bot.kit.payloads import Ref, decode
from bot.votes.involved import (
    bad_scores,
    informed_line,
    informed_modal,
    submitted_views,
    views_message,
)


def test_a_submitted_form_gives_the_roles_filled_in_and_refuses_odd_scores() -> None:
    values = {
        "involved_score:slachtoffer": "4",
        "involved_text:slachtoffer": "  Spannend  ",
        "involved_text:kind_1": "Wil naar oma",
        "involved_score:pleger": "11",
        "involved_score:kind_2": "4,5",
        "involved_score:onbekend": "3",  # not a role of ours: ignored
    }
    assert submitted_views(values) == {
        "slachtoffer": (4, "Spannend"),
        "kind_1": (None, "Wil naar oma"),
    }
    assert bad_scores(values) == ["involved_score:pleger", "involved_score:kind_2"]


def test_the_thread_message_names_roles_never_people_and_offers_the_informed_button() -> None:
    blocks = views_message(
        "nl",
        [("slachtoffer", 4, "<@U1> zegt: eng"), ("kind_1", None, "Wil naar oma")],
        by="U0KARIM",
        ref=Ref(meeting_id=3),
    )
    Block.parse_all(blocks)
    shown = str(blocks)
    assert "Slachtoffer" in shown and "score 4" in shown and "Kind 1" in shown
    assert "&lt;@U1&gt;" in shown  # the text cannot ping anyone
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        ActionId.FAMILY_VIEW_OPEN,
        ActionId.INFORMED_OPEN,
    ]
    assert decode(actions["elements"][1]["value"]) == Ref(meeting_id=3)


def test_the_informed_form_and_the_reports_line() -> None:
    view = informed_modal("en", "ZVH-1", Ref(meeting_id=3), answer="nee", reason="Veiligheid")
    View(**view)
    assert len(view["title"]["text"]) <= 24
    [answer] = [b for b in view["blocks"] if b.get("block_id") == Field.INFORMED_ANSWER]
    assert [o["value"] for o in answer["element"]["options"]] == ["ja", "nog_niet", "nee"]
    assert answer["element"]["initial_option"]["value"] == "nee"
    assert informed_line("nl", "nee", "Zwaarwegend veiligheidsbelang") == (
        "Nee — Zwaarwegend veiligheidsbelang"
    )
    assert informed_line("en", "ja", None) == "Yes"
    assert "/casus" in informed_line("nl", None, None)


def test_every_text_in_the_catalogues_is_text() -> None:
    """YAML reads a bare Yes, No, On or Off as a boolean: the English answer was 'True'."""
    from pathlib import Path

    import yaml

    def leaves(node: object, path: str = "") -> list[tuple[str, object]]:
        if isinstance(node, dict):
            return [leaf for k, v in node.items() for leaf in leaves(v, f"{path}.{k}")]
        return [(path, node)]

    for lang in ("nl", "en"):
        source = Path(__file__).parents[3] / "bot" / "locales" / f"{lang}.yaml"
        catalogue = yaml.safe_load(source.read_text(encoding="utf-8"))
        assert [p for p, v in leaves(catalogue) if not isinstance(v, str)] == [], lang
