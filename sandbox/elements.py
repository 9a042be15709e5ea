"""Interactive Block Kit elements: finding them, and the shapes Slack gives their values.

Slack reports a value in two places with slightly different shapes: `state.values` of the
surrounding message or view, and the `actions[0]` entry of a block_actions payload.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .blockkit import interactive_elements

TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
# element type -> (state key, initial key, is a list)
PICKERS = {
    "users_select": ("selected_user", "initial_user", False),
    "multi_users_select": ("selected_users", "initial_users", True),
    "conversations_select": ("selected_conversation", "initial_conversation", False),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", True),
    "channels_select": ("selected_channel", "initial_channel", False),
    "multi_channels_select": ("selected_channels", "initial_channels", True),
    "datepicker": ("selected_date", "initial_date", False),
    "timepicker": ("selected_time", "initial_time", False),
    "datetimepicker": ("selected_date_time", "initial_date_time", False),
}
# Elements without state: clicking them is an action, they never appear in state.values.
STATELESS = {"button", "overflow", "workflow_button"}


class ElementError(LookupError):
    """The test asked for an element or value the surface does not offer."""


@dataclass
class Found:
    block: dict[str, Any]
    element: dict[str, Any]

    @property
    def in_input(self) -> bool:
        return self.block.get("type") == "input"

    @property
    def dispatches(self) -> bool:
        """Whether changing this element sends block_actions (inputs only with dispatch_action)."""
        return not self.in_input or bool(self.block.get("dispatch_action"))


def iter_elements(blocks: list[dict[str, Any]]) -> Iterator[Found]:
    for block in blocks or []:
        for element in interactive_elements(block):
            yield Found(block, element)


def find(
    blocks: list[dict[str, Any]], action_id: str, *, block_id: str | None = None,
    value: str | None = None,
) -> list[Found]:
    return [
        f for f in iter_elements(blocks)
        if f.element.get("action_id") == action_id
        and (block_id is None or f.block.get("block_id") == block_id)
        and (value is None or f.element.get("value") == value)
    ]


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if element["type"] in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    for option in _options(element):
        if option.get("value") == value:
            return {k: option[k] for k in ("text", "value", "description") if k in option}
    offered = [o.get("value") for o in _options(element)]
    raise ElementError(f"{element['type']} {element.get('action_id')!r} has no option "
                       f"{value!r}; it offers {offered}")


def state_key(element_type: str) -> str:
    if element_type in TEXT_INPUTS:
        return "value"
    if element_type in SINGLE_OPTION:
        return "selected_option"
    if element_type in MULTI_OPTION:
        return "selected_options"
    if element_type in PICKERS:
        return PICKERS[element_type][0]
    if element_type == "rich_text_input":
        return "rich_text_value"
    if element_type == "file_input":
        return "files"
    raise ElementError(f"element type {element_type!r} holds no value")


def _check_format(element: dict[str, Any], value: Any) -> None:
    kind = element["type"]
    if kind == "datepicker" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
        raise ElementError(f"datepicker wants 'YYYY-MM-DD', got {value!r}")
    if kind == "timepicker" and not re.fullmatch(r"\d{2}:\d{2}", str(value)):
        raise ElementError(f"timepicker wants 'HH:MM', got {value!r}")


def rich_text(text: str) -> dict[str, Any]:
    return {"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}


def convert(element: dict[str, Any], value: Any, resolve_user: Callable[[str], str]) -> Any:
    """A test's plain value ('2025-03-01', 'petra', ['a', 'b']) as Slack would report it."""
    kind = element["type"]
    if value is None:
        return [] if kind in MULTI_OPTION or PICKERS.get(kind, ("", "", False))[2] else None
    if kind in TEXT_INPUTS:
        return str(value)
    if kind in SINGLE_OPTION:
        return _option(element, value)
    if kind in MULTI_OPTION:
        values = value if isinstance(value, list | tuple) else [value]
        return [_option(element, v) for v in values]
    if kind in PICKERS:
        is_list = PICKERS[kind][2]
        values = list(value) if isinstance(value, list | tuple) else [value]
        if kind in ("users_select", "multi_users_select"):
            values = [resolve_user(v) for v in values]
        for v in values:
            _check_format(element, v)
        if is_list:
            return values
        if len(values) != 1:
            raise ElementError(f"{kind} takes one value, got {value!r}")
        return values[0]
    if kind == "rich_text_input":
        return value if isinstance(value, dict) else rich_text(str(value))
    raise ElementError(f"cannot set a value on a {kind}")


def initial_value(element: dict[str, Any]) -> Any:
    kind = element["type"]
    if kind in TEXT_INPUTS:
        return element.get("initial_value")
    if kind in SINGLE_OPTION:
        return element.get("initial_option")
    if kind in MULTI_OPTION:
        return element.get("initial_options") or []
    if kind in PICKERS:
        return element.get(PICKERS[kind][1])
    if kind == "rich_text_input":
        return element.get("initial_value")
    return None


def state_entry(element: dict[str, Any], value: Any) -> dict[str, Any]:
    entry = {"type": element["type"], state_key(element["type"]): value}
    if element["type"] == "timepicker" and element.get("timezone"):
        entry["timezone"] = element["timezone"]
    return entry


def initial_state(blocks: list[dict[str, Any]], *, all_inputs: bool) -> dict[str, dict[str, Any]]:
    """state.values before the user touched anything: views list every input element,
    messages only elements that start with a value."""
    values: dict[str, dict[str, Any]] = {}
    for found in iter_elements(blocks):
        element = found.element
        if element["type"] in STATELESS or element["type"] == "file_input":
            continue
        start = initial_value(element)
        if start in (None, []) and not (all_inputs and found.in_input):
            continue
        values.setdefault(found.block["block_id"], {})[element["action_id"]] = state_entry(
            element, start)
    return values


def action_entry(found: Found, value: Any, action_ts: str) -> dict[str, Any]:
    """The `actions[0]` item of a block_actions payload."""
    element = found.element
    entry: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": found.block["block_id"],
        "action_ts": action_ts,
    }
    if element["type"] in ("button", "workflow_button"):
        entry["text"] = element.get("text")
        for key in ("value", "style", "url"):
            if key in element:
                entry[key] = element[key]
        return entry
    if "placeholder" in element:
        entry["placeholder"] = element["placeholder"]
    entry[state_key(element["type"])] = value
    return entry
