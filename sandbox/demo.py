"""The seeded people hold a whole case meeting: `--demo` shows it in the browser page,
`--demo --transcript` prints it.

Each step goes through the stand-in exactly as a click or a message in Slack would, so the
transcript shows what the real bot does, not a mock-up of it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from bot.server import RunningBot
from flows import meeting as machine
from flows.errors import MoveError
from flows.model import Outcome
from flows.steps import step_by_key
from storage.meetings import load_state
from storage.models import Meeting

from .harness import CASE_CHANNEL, settle
from .sandbox import Sandbox

CODE = "ZVH-2026-014"
REPLIES = {
    "directe_veiligheid.vooraf.beeld_van_het_gezin": [
        (
            "sanne",
            "Moeder (34) en twee kinderen (6 en 9) wonen samen; vader woont sinds maart elders.",
        ),
    ],
    "directe_veiligheid.vooraf.hulpverlening": [
        ("karim", "Veilig Thuis doet het onderzoek; wijkteam begeleidt moeder bij huisvesting."),
        ("joost", "Reclassering heeft vader in toezicht met een contactverbod."),
    ],
    "directe_veiligheid.beeldvorming.zorgen": [
        ("ilse", "Police were called twice this year; the last incident was three weeks ago."),
        ("lotte", "Moeder heeft angstklachten; de kinderen slapen slecht."),
    ],
    "directe_veiligheid.beeldvorming.krachten": [
        ("sanne", "Oma woont in de buurt en vangt de kinderen op.")
    ],
    "directe_veiligheid.oordeelsvorming.zorgen_of_risicos": [
        ("karim", "Het contactverbod werkt en moeder heeft een plek; de directe zorgen zijn weg."),
        ("joost", "Eens: we kunnen aan de risico's werken."),
    ],
    "risicogestuurde_zorg.beeldvorming.stand_van_zaken": [
        ("ilse", "No police call-outs since the contact ban; the bodemeisen are kept."),
    ],
    "risicogestuurde_zorg.beeldvorming.risicofactoren": [
        ("joost", "Vader drinkt bij spanning; het toezicht loopt nog vier maanden."),
    ],
    "risicogestuurde_zorg.besluitvorming.interventies": [
        ("karim", "Veiligheidsplan met moeder opstellen; contactverbod bewaken met politie."),
    ],
}
# Where the demo group decides: "Zijn er nog zorgen om de directe veiligheid of kunnen we gaan
# werken aan de risico's?" — the latter; at every other decision point it goes on below.
DECISIONS = {
    "directe_veiligheid.oordeelsvorming.zorgen_of_risicos": "door_naar_risicogestuurde_zorg",
}


def _plain(sb: Sandbox, text: str) -> str:
    """Slack mrkdwn to plain text: mentions become @handles."""

    def handle(match: re.Match[str]) -> str:
        user = sb.ws.find_user(match.group(1))
        return f"@{user.handle}" if user else "@?"

    return re.sub(r"<@(\w+)>", handle, text)


def render(sb: Sandbox, message: dict[str, Any], indent: str = "") -> list[str]:
    """A message as readable lines: headers, sections, buttons as [labels]."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            text = (block.get("text") or {}).get("text", "")
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                text += f"   [{accessory['text']['text']}]"
            lines.extend(text.split("\n"))
        elif kind == "context":
            lines.extend(f"  ({e.get('text', '')})" for e in block.get("elements", []))
        elif kind == "actions":
            labels = [e.get("text", {}).get("text", "?") for e in block.get("elements", [])]
            lines.append("  " + " ".join(f"[{label}]" for label in labels))
        elif kind == "divider":
            lines.append("  ---")
    if not lines:
        lines = (message.get("text") or "").split("\n")
    user = sb.ws.find_user(message.get("user") or "") if message.get("user") else None
    who = f"@{user.handle}" if user else "Casusbot"
    first, *rest = [_plain(sb, line) for line in lines]
    return [f"{indent}{who}: {first}", *(f"{indent}    {line}" for line in rest)]


# How worried each participant is at the scale question (1 = hardly, 10 = very).
SCORES = {"karim": 6, "sanne": 5, "joost": 7, "ilse": 6, "lotte": 4}


def _open_ballot(sb: Sandbox, thread_ts: str) -> dict[str, Any] | None:
    """The thread's voting message that can still be revealed, when votes exist."""
    for message in reversed(sb.messages(CASE_CHANNEL, thread_ts=thread_ts)):
        if "vote_reveal" in str(message.get("blocks")):
            return message
    return None


async def _vote(sb: Sandbox, bot: RunningBot, thread_ts: str) -> None:
    """Everyone scores independently, then the procesregisseur reveals the round."""
    ballot = _open_ballot(sb, thread_ts)
    if ballot is None:
        return
    for who, score in SCORES.items():
        await sb.user(who).click(f"vote_{score}", message=(CASE_CHANNEL, ballot["ts"]))
        await settle(sb, bot)
    ballot = _open_ballot(sb, thread_ts)
    if ballot is not None:
        await sb.user("petra").click("vote_reveal", message=(CASE_CHANNEL, ballot["ts"]))
        await settle(sb, bot)


async def _record_agreements(sb: Sandbox, bot: RunningBot, question: dict[str, Any]) -> bool:
    """At the first Besluitvorming question the procesregisseur records an action and a
    bodemeis, each in its modal, as she would in Slack. Returns whether it did."""
    if "agreement_action_open" not in str(question.get("blocks")):
        return False
    petra, where = sb.user("petra"), (CASE_CHANNEL, question["ts"])
    due = (date.today() + timedelta(days=10)).isoformat()
    forms = [
        (
            "agreement_action_open",
            {
                "agreement_text": "Veiligheidsplan opstellen met moeder",
                "owner_user": "karim",
                "due_date": due,
                "priority": "hoog",
            },
        ),
        (
            "agreement_bodemeis_open",
            {"agreement_text": "Vader houdt zich aan het contactverbod", "monitor": "joost"},
        ),
    ]
    for action_id, values in forms:
        await petra.click(action_id, message=where)
        await settle(sb, bot)
        if petra.modal is None:
            continue
        await petra.submit({block: {block: value} for block, value in values.items()})
        await settle(sb, bot)
    return True


def _question_with_buttons(sb: Sandbox, thread_ts: str) -> dict[str, Any]:
    for message in reversed(sb.messages(CASE_CHANNEL, thread_ts=thread_ts)):
        if "meeting_next" in str(message.get("blocks")):
            return message
    raise RuntimeError("the meeting has no current question")


async def play(sb: Sandbox, bot: RunningBot) -> str:
    """Play the demo meeting and return its transcript."""
    return transcript(sb, await play_meeting(sb, bot))


async def seed(sb: Sandbox, bot: RunningBot) -> str:
    """A case with history for the browser page: one meeting played through to its summary,
    and the next one planned, so a trainee can start it straight away. Returns the first
    meeting's thread ts."""
    thread_ts = await play_meeting(sb, bot)
    petra = sb.user("petra")
    await petra.slash("/casus", "overleg", channel=CASE_CHANNEL)
    await settle(sb, bot)
    if petra.modal is not None:
        await petra.submit({})
        await settle(sb, bot)
    return thread_ts


async def play_meeting(sb: Sandbox, bot: RunningBot) -> str:
    """Register the demo case, plan and hold its first meeting; returns the thread ts."""
    petra, karim = sb.user("petra"), sb.user("karim")
    await petra.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await settle(sb, bot)
    await petra.submit(
        {
            "code": {"code": CODE},
            "casusregisseur": {"casusregisseur": "karim"},
            "participants": {"participants": ["sanne", "joost", "ilse", "lotte"]},
        }
    )
    await settle(sb, bot)
    await petra.slash("/casus", "overleg", channel=CASE_CHANNEL)
    await settle(sb, bot)
    await petra.submit({})
    await settle(sb, bot)
    await petra.click("meeting_start", channel=CASE_CHANNEL)
    await settle(sb, bot)
    if any("meeting_start" in str(e.get("blocks")) for e in petra.ephemerals(CASE_CHANNEL)):
        # Planned for tomorrow: starting now asks first ("Nu starten" is the newest button).
        await petra.click("meeting_start", channel=CASE_CHANNEL)
        await settle(sb, bot)
    thread_ts = sb.messages(CASE_CHANNEL)[-1]["ts"]
    recorded = False
    for _ in range(60):
        question = _question_with_buttons(sb, thread_ts)
        key = await _current_key(bot)
        for who, text in REPLIES.get(key, []):
            await sb.user(who).post(CASE_CHANNEL, text, thread_ts=thread_ts)
            await settle(sb, bot)
        await _vote(sb, bot, thread_ts)
        if not recorded:
            recorded = await _record_agreements(sb, bot, question)
        branch = _branch(bot, key)
        if branch is not None:
            # The group decides at this question, with the button in the guideline's words;
            # after "door naar risicogestuurde zorg" Volgende goes on in that phase.
            await karim.click(
                "meeting_decide",
                message=(CASE_CHANNEL, question["ts"]),
                block_id=f"decision:{branch}",
            )
            await settle(sb, bot)
            question = _question_with_buttons(sb, thread_ts)
        if not await _can_move_on(bot):
            break
        await petra.click(
            "meeting_next", message=(CASE_CHANNEL, question["ts"]), block_id="navigation"
        )
        await settle(sb, bot)
    await petra.click(
        "meeting_end", message=(CASE_CHANNEL, _question_with_buttons(sb, thread_ts)["ts"])
    )
    await settle(sb, bot)
    return thread_ts


async def _current_key(bot: RunningBot) -> str:
    """The key of the step the meeting is at now."""
    meeting = await _latest_meeting(bot)
    step = machine.current_step(bot.deps.catalogue, load_state(meeting)) if meeting else None
    return step.key if step is not None else ""


def _branch(bot: RunningBot, key: str) -> str | None:
    """The branch the demo group takes at a decision question (None elsewhere)."""
    step = step_by_key(bot.deps.catalogue, key)
    if step is None or not step.is_decision:
        return None
    if key in DECISIONS:
        return DECISIONS[key]
    return next(d.name for d in step.options if d.outcome is Outcome.STAY)


async def _latest_meeting(bot: RunningBot) -> Meeting | None:
    async with bot.deps.db.session() as session:
        return (await session.exec(select(Meeting).order_by(col(Meeting.id).desc()))).first()


async def _can_move_on(bot: RunningBot) -> bool:
    """Whether "volgende" would be accepted: asks the pure state machine, changes nothing."""
    meeting = await _latest_meeting(bot)
    if meeting is None:
        return False
    try:
        machine.next_step(bot.deps.catalogue, load_state(meeting))
    except MoveError:
        return False
    return True


def transcript(sb: Sandbox, thread_ts: str) -> str:
    out = [f"#{CASE_CHANNEL} (besloten kanaal)", ""]
    for message in sb.messages(CASE_CHANNEL):
        out += render(sb, message)
        if message["ts"] == thread_ts:
            out.append("  ┌─ draad ───────────────────────────────")
            for reply in sb.messages(CASE_CHANNEL, thread_ts=thread_ts):
                out += render(sb, reply, indent="  │ ")
                out.append("  │")
            out.append("  └───────────────────────────────────────")
        out.append("")
    petra = sb.user("petra")
    private = petra.ephemerals(CASE_CHANNEL)
    if private:
        out.append("Alleen zichtbaar voor @petra:")
        for message in private:
            out += render(sb, message, indent="  ")
    return "\n".join(out)
