"""What a failed render means: try again later, or give up until the next change.

Slack is busy (429, 5xx, timeouts, dropped connections): back off and retry. Slack will never
take it (the bot is not in the channel, a scope is missing): record the code for the doctor.
We built something Slack refuses (too long, bad blocks): that is our bug, logged with context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.outbox.render import RenderFailed

# No retry fixes these: the installation must be fixed (re-invite the bot, grant a scope).
PERMANENT_SLACK_ERRORS = frozenset(
    {
        "access_denied",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "ekm_access_denied",
        "invalid_auth",
        "is_archived",
        "messages_tab_disabled",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "thread_not_found",
        "token_expired",
        "token_revoked",
        "user_disabled",
        "user_not_found",
    }
)
# Our renderer built something Slack will never take.
OUR_BUGS = frozenset(
    {
        "cant_update_message",
        "invalid_arguments",
        "invalid_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "markdown_text_conflict",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "too_many_blocks",
    }
)
# Slack is busy or broken for a moment (any 429 or 5xx counts too, whatever its code).
TRANSIENT_SLACK_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# The object was deleted in Slack (by a person): show it again as a new one.
GONE_ERRORS = frozenset({"message_not_found", "file_not_found", "canvas_not_found"})
# Codes we do not know are retried, but not forever.
MAX_UNKNOWN_ERROR_ATTEMPTS = 10

_CODE = re.compile(r"^[a-z0-9_]{1,40}$")


class NotYet(Exception):
    """The row cannot be rendered yet (its thread's parent is not posted): retry later."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Verdict(StrEnum):
    RETRY = "retry"
    PERMANENT = "permanent"  # the installation or the data: until the next change
    OUR_BUG = "our_bug"  # Slack refused what we built, or the renderer raised


@dataclass(frozen=True)
class Judgement:
    code: str  # stored on the row and logged: a code, never content
    verdict: Verdict
    retry_after: float | None = None  # Slack's Retry-After, seconds


def judge(error: Exception, *, attempts: int) -> Judgement:
    """What to do after `error`; `attempts` counts the failed tries before this one."""
    code = error_code(error)
    if isinstance(error, RenderFailed):
        return Judgement(code, Verdict.PERMANENT)
    if isinstance(error, NotYet | TimeoutError | aiohttp.ClientError | OSError):
        return Judgement(code, Verdict.RETRY)
    if not isinstance(error, SlackApiError):
        return Judgement(code, Verdict.OUR_BUG)
    slack = slack_code(error)
    if slack in OUR_BUGS:
        return Judgement(code, Verdict.OUR_BUG)
    if slack in PERMANENT_SLACK_ERRORS:
        return Judgement(code, Verdict.PERMANENT)
    status = _status(error)
    if status == 429 or status >= 500 or slack in TRANSIENT_SLACK_ERRORS:
        return Judgement(code, Verdict.RETRY, _retry_after(error))
    if attempts + 1 >= MAX_UNKNOWN_ERROR_ATTEMPTS:
        return Judgement(code, Verdict.PERMANENT)
    return Judgement(code, Verdict.RETRY)


def is_gone(error: Exception) -> bool:
    return isinstance(error, SlackApiError) and slack_code(error) in GONE_ERRORS


def error_code(error: BaseException) -> str:
    """A short code for the row and the logs: Slack's error, or the kind of failure."""
    if isinstance(error, RenderFailed | NotYet):
        code = error.code
    elif isinstance(error, SlackApiError):
        code = slack_code(error) or f"http_{_status(error)}"
    elif isinstance(error, TimeoutError):
        code = "timeout"
    elif isinstance(error, aiohttp.ClientError | OSError):
        code = "connection_error"
    else:
        code = f"exc_{type(error).__name__.lower()}"
    return code[:40] if _CODE.match(code[:40]) else "unknown_error"


def slack_code(error: SlackApiError) -> str:
    code = _body(error).get("error")
    return str(code) if code else ""


def slack_messages(error: BaseException) -> list[str]:
    """Slack's json-pointer complaints about our blocks (they name fields, not content)."""
    if not isinstance(error, SlackApiError):
        return []
    metadata = _body(error).get("response_metadata") or {}
    messages = metadata.get("messages") or []
    return [str(m)[:200] for m in messages][:5]


def _body(error: SlackApiError) -> dict[str, Any]:
    # A 5xx from a proxy has a text body, and a body that is not JSON leaves the sdk's raw
    # HTTP response here: only a JSON object is Slack's answer.
    data = getattr(error.response, "data", None)
    return data if isinstance(data, dict) else {}


def _status(error: SlackApiError) -> int:
    response = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else 200


def _retry_after(error: SlackApiError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
