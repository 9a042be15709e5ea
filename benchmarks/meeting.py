"""A meeting driven the way people drive it: /casus nieuw, /casus start, "Volgende".

Everything goes through the sandbox as Slack would deliver it. The bot runs in another
process, so waiting means watching the sandbox for what the bot posts, within a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import col, select

from benchmarks.stage import Stage
from storage.models import Case, Meeting

PEOPLE = ("petra", "karim", "sanne", "joost", "ilse", "lotte")
WAIT_SECONDS = 30.0
T = TypeVar("T")


async def wait_for(what: str, probe: Callable[[], T | None], within: float = WAIT_SECONDS) -> T:
    """Poll `probe` until it returns something; fail with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        await asyncio.sleep(0.001)
    raise TimeoutError(f"timed out waiting for {what}")


def action_ids(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            found += [e.get("action_id") for e in block.get("elements") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            found.append(accessory.get("action_id"))
    return found


def case_channel(stage: Stage, name: str) -> str:
    """A new private channel with the demo people and the bot, as a procesregisseur makes one."""
    channel = stage.sb.create_channel(name, private=True, members=PEOPLE)
    channel.members.add(stage.app.bot_user_id)
    return channel.id


async def register_case(stage: Stage, channel: str, code: str, *, by: str = "petra") -> None:
    person = stage.sb.user(by)
    await person.slash("/casus", "nieuw", channel=channel)
    await wait_for("the new-case modal", lambda: person.modal)
    ack = await person.submit(
        {
            "code": {"code": code},
            "phase": {"phase": "directe_veiligheid"},
            "casusregisseur": {"casusregisseur": "karim"},
            "participants": {"participants": ["sanne", "joost", "ilse", "lotte"]},
            "guests": {"guests": []},
        }
    )
    if ack and ack.get("response_action") == "errors":
        raise RuntimeError(f"case registration refused: {ack.get('errors')}")
    await stage.settle()


async def stored_case(stage: Stage, code: str) -> Case:
    async with stage.db.session() as session:
        found = (await session.exec(select(Case).where(Case.code == code))).first()
    if found is None:
        raise RuntimeError(f"case {code} was not stored")
    return found


async def start_meeting(stage: Stage, channel: str, case_id: int, *, by: str = "petra") -> Meeting:
    await stage.sb.user(by).slash("/casus", "start", channel=channel)
    await stage.settle()
    async with stage.db.session() as session:
        query = select(Meeting).where(Meeting.case_id == case_id).order_by(col(Meeting.id).desc())
        meeting = (await session.exec(query)).first()
    if meeting is None or not meeting.thread_ts:
        raise RuntimeError("no meeting thread was opened")
    return meeting


def thread(stage: Stage, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return stage.sb.messages(channel, thread_ts=thread_ts)


def newest_with(
    stage: Stage, channel: str, thread_ts: str, action_id: str, *, after: float = 0.0
) -> dict[str, Any] | None:
    """The newest thread message (posted after `after`) that has a button `action_id`."""
    for message in reversed(thread(stage, channel, thread_ts)):
        if float(message["ts"]) <= after:
            return None
        if action_id in action_ids(message):
            return message
    return None


async def click(
    stage: Stage, who: str, action_id: str, channel: str, message: dict[str, Any]
) -> None:
    await stage.sb.user(who).click(action_id, message=(channel, message["ts"]))
