"""What Slack's client refuses to send when a person submits a modal.

Slack checks some inputs before the app ever hears of them: a required field left empty, a
number outside `min_value`/`max_value`, text beyond `max_length` or short of `min_length`. The
person sees a note under the field; the app receives nothing. `InputRejected` carries each
refusal as data, so the browser page can explain it in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_LENGTH = 3000


@dataclass(frozen=True)
class Refusal:
    block_id: str
    # required | not_a_number | not_whole | below_min | above_max | too_long | too_short
    reason: str
    minimum: str | None = None
    maximum: str | None = None
    length: int | None = None  # characters typed, for too_long / too_short

    def describe(self) -> str:
        """The developer's wording, as tests and logs read it."""
        words = {"required": "required", "not_a_number": "not a number",
                 "not_whole": "not a number", "below_min": "below min_value",
                 "above_max": "above max_value", "too_long": "longer than max_length",
                 "too_short": "shorter than min_length"}
        return f"{self.block_id}: {words[self.reason]}"


class InputRejected(ValueError):
    """The Slack client itself would not send this (a required field is empty, too long...)."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__("Slack would not submit this modal: "
                         + "; ".join(r.describe() for r in refusals))


def _number(block_id: str, element: dict[str, Any], text: str) -> list[Refusal]:
    low, high = element.get("min_value"), element.get("max_value")
    minimum = str(low) if low is not None else None
    maximum = str(high) if high is not None else None
    try:
        number = float(text)
    except ValueError:
        return [Refusal(block_id, "not_a_number", minimum, maximum)]
    if not element.get("is_decimal_allowed") and not number.is_integer():
        return [Refusal(block_id, "not_whole", minimum, maximum)]
    if low is not None and number < float(low):
        return [Refusal(block_id, "below_min", minimum, maximum)]
    if high is not None and number > float(high):
        return [Refusal(block_id, "above_max", minimum, maximum)]
    return []


def _text(block_id: str, element: dict[str, Any], text: str) -> list[Refusal]:
    longest = int(element.get("max_length", DEFAULT_MAX_LENGTH))
    shortest = int(element.get("min_length", 0))
    if len(text) > longest:
        return [Refusal(block_id, "too_long", maximum=str(longest), length=len(text))]
    if len(text) < shortest:
        return [Refusal(block_id, "too_short", minimum=str(shortest), length=len(text))]
    return []


def check_inputs(view: dict[str, Any]) -> None:
    """Raise InputRejected for every input block the client would refuse to submit."""
    refusals: list[Refusal] = []
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        entry = view["state"]["values"].get(block_id, {}).get(element["action_id"], {})
        filled = [v for k, v in entry.items() if k not in ("type", "timezone")]
        if not filled or filled[0] in (None, "", []):
            if not block.get("optional"):
                refusals.append(Refusal(block_id, "required"))
            continue
        text = entry.get("value") or ""
        if element["type"] == "number_input":
            refusals += _number(block_id, element, text)
        elif element["type"] == "plain_text_input":
            refusals += _text(block_id, element, text)
    if refusals:
        raise InputRejected(refusals)
