"""Block Kit validation as strict as Slack's, built on slack_sdk's own models.

slack_sdk enforces the documented limits in `to_dict()`; on top of that we reject what the
models silently drop or coerce (unknown block/element types, misspelled properties, a string
where Slack wants a text object), because Slack rejects those too.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TEXT = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255


class BlockKitError(Exception):
    """Invalid Block Kit; `error` is Slack's error string, `messages` its details."""

    def __init__(self, error: str, messages: list[str]):
        super().__init__(f"{error}: {'; '.join(messages)}")
        self.error = error
        self.messages = messages


def _differences(given: Any, parsed: Any, pointer: str) -> list[str]:
    """Where the sdk's round trip lost or changed what the caller sent."""
    if isinstance(given, dict):
        if not isinstance(parsed, dict):
            return [f"must provide an object [json-pointer:{pointer}]"]
        problems = []
        for key, value in given.items():
            if key not in parsed:
                if value is None:
                    continue
                problems.append(f"invalid additional property: {key} [json-pointer:{pointer}]")
            else:
                problems += _differences(value, parsed[key], f"{pointer}/{key}")
        return problems
    if isinstance(given, list):
        if not isinstance(parsed, list) or len(given) != len(parsed):
            return [f"must provide an array [json-pointer:{pointer}]"]
        problems = []
        for i, (g, p) in enumerate(zip(given, parsed, strict=True)):
            if p is None:
                problems.append(f"unsupported type [json-pointer:{pointer}/{i}]")
            else:
                problems += _differences(g, p, f"{pointer}/{i}")
        return problems
    if isinstance(parsed, dict):
        return [f"must provide an object [json-pointer:{pointer}]"]
    return []


def decode_json_arg(value: Any, error: str) -> Any:
    """Form-encoded calls send blocks/views/metadata as JSON strings; JSON calls as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise BlockKitError(error, [f"invalid JSON: {exc.msg}"]) from exc
    return value


def block_problems(blocks: Any, *, limit: int, pointer: str) -> list[str]:
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{pointer}]"]
    problems: list[str] = []
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"missing required field: type [json-pointer:{where}]")
            continue
        parsed = Block.parse(block)
        if parsed is None or type(parsed) is Block:
            problems.append(f"unsupported type: {block.get('type')} [json-pointer:{where}]")
            continue
        try:
            as_dict = parsed.to_dict()
        except (SlackObjectFormationError, AttributeError, TypeError, KeyError) as exc:
            problems.append(f"{exc} [json-pointer:{where}]")
            continue
        problems += _differences(block, as_dict, where)
    return problems


def _short_id() -> str:
    return secrets.token_urlsafe(4)[:5]


def assign_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack fills in block_id and action_id where the app left them out; so do we."""
    result = []
    for block in blocks:
        block = json.loads(json.dumps(block))
        block.setdefault("block_id", _short_id())
        for element in _interactive_elements(block):
            element.setdefault("action_id", _short_id())
        result.append(block)
    return result


def _interactive_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "actions":
        return list(block.get("elements", []))
    if block.get("type") == "section" and isinstance(block.get("accessory"), dict):
        accessory = block["accessory"]
        return [] if accessory.get("type") == "image" else [accessory]
    if block.get("type") == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    return []


def interactive_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    return _interactive_elements(block)


def check_message_blocks(raw: Any) -> list[dict[str, Any]] | None:
    """Validated message blocks (with ids filled in), or None when none were sent."""
    if raw is None:
        return None
    blocks = decode_json_arg(raw, "invalid_blocks_format")
    problems = block_problems(blocks, limit=MAX_MESSAGE_BLOCKS, pointer="/blocks")
    if problems:
        raise BlockKitError("invalid_blocks", problems)
    return assign_ids(blocks)


def _text_problem(view: dict[str, Any], key: str, required: bool) -> list[str]:
    value = view.get(key)
    if value is None:
        return [f"missing required field: {key} [json-pointer:/view/{key}]"] if required else []
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        return [f"must be a plain_text object [json-pointer:/view/{key}]"]
    if not value.get("text"):
        return [f"must be more than 0 characters [json-pointer:/view/{key}/text]"]
    if len(value["text"]) > MAX_VIEW_TEXT:
        return [f"must be less than {MAX_VIEW_TEXT + 1} characters "
                f"[json-pointer:/view/{key}/text]"]
    return []


VIEW_KEYS = {
    "type", "title", "blocks", "close", "submit", "private_metadata", "callback_id",
    "clear_on_close", "notify_on_close", "external_id", "submit_disabled",
}


def check_view(raw: Any, *, home: bool = False) -> dict[str, Any]:
    """A validated view (modal or home tab), as Slack's `invalid_arguments` would judge it."""
    view = decode_json_arg(raw, "invalid_arguments")
    if not isinstance(view, dict):
        raise BlockKitError("invalid_arguments",
                            ["[ERROR] must provide an object [json-pointer:/view]"])
    problems: list[str] = []
    wanted = "home" if home else "modal"
    if view.get("type") != wanted:
        problems.append(f"must be '{wanted}' [json-pointer:/view/type]")
    problems += [f"invalid additional property: {k} [json-pointer:/view]"
                 for k in view if k not in VIEW_KEYS]
    problems += block_problems(view.get("blocks"), limit=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    if not home:
        problems += _text_problem(view, "title", True)
        problems += _text_problem(view, "close", False)
        problems += _text_problem(view, "submit", False)
        has_input = any(isinstance(b, dict) and b.get("type") == "input"
                        for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            problems.append("submit is required when an input block is present "
                            "[json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        problems.append(f"must be less than {MAX_PRIVATE_METADATA + 1} characters "
                        "[json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > MAX_CALLBACK_ID:
        problems.append(f"must be less than {MAX_CALLBACK_ID + 1} characters "
                        "[json-pointer:/view/callback_id]")
    if problems:
        raise BlockKitError("invalid_arguments", [f"[ERROR] {p}" for p in problems])
    view = dict(view)
    view["blocks"] = assign_ids(view["blocks"])
    return view
