"""Register a case: `/casus nieuw` opens a modal; its submission creates the case.

Case content lives only in private channels the bot is in (DESIGN §6): the modal offers
"this channel" only when that holds, and the submission checks again, since the channel
travels in private_metadata that a client could forge.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.forms import CHANNEL_HERE, form_values, new_case_modal
from bot.confidentiality import ask_guest
from bot.i18n import t
from bot.ids import Field
from bot.payloads import Ref
from bot.runtime import Turn
from flows.personal_data import normalise_case_code, validate_case_code
from storage import audit
from storage.cases import case_by_code, create_case
from storage.models import Role

log = logging.getLogger("casusbot")


async def channel_privacy(client: AsyncWebClient, channel_id: str | None) -> str:
    """'private' (and the bot is in it), 'public', 'dm', or 'unknown' (not visible to the bot)."""
    if not channel_id:
        return "unknown"
    if channel_id.startswith("D"):
        return "dm"
    try:
        info = (await client.conversations_info(channel=channel_id))["channel"]
    except SlackApiError:
        return "unknown"
    if info.get("is_im") or info.get("is_mpim"):
        return "dm"
    if not info.get("is_private"):
        return "public"
    return "private" if info.get("is_member", True) else "unknown"


async def open_new_case(turn: Turn) -> None:
    privacy = await channel_privacy(turn.client, turn.channel_id)
    view = new_case_modal(
        turn.lang,
        turn.deps.catalogue,
        requester=turn.user_id or "",
        origin=Ref(channel_id=turn.channel_id) if turn.channel_id else Ref(),
        channel_usable=privacy == "private",
    )
    if privacy != "private" and turn.channel_id:  # from the home tab there is no channel
        await turn.tell(turn.t(f"case_form.channel_{privacy}"))
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def validate_new_case(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    raw_code = (values.get(Field.CODE) or "").strip()
    problem = validate_case_code(raw_code)
    if problem is not None:
        return {Field.CODE: turn.t(f"case_form.code_{problem}")}
    code = normalise_case_code(raw_code)
    async with turn.deps.db.session() as session:
        if await case_by_code(session, code=code) is not None:
            return {Field.CODE: turn.t("case_form.code_exists", code=code)}
    if values.get(Field.PHASE) not in turn.deps.catalogue.phase_keys:
        return {Field.PHASE: turn.t("errors.forged")}
    if not values.get(Field.CASUSREGISSEUR):
        return {Field.CASUSREGISSEUR: turn.t("case_form.required")}
    if values.get(Field.CHANNEL) == CHANNEL_HERE:
        origin = turn.ref.channel_id if turn.ref else None
        if await channel_privacy(turn.client, origin) != "private":
            return {Field.CHANNEL: turn.t("case_form.channel_not_private")}
    return None


async def _organisation(client: AsyncWebClient, user_id: str) -> str:
    """The organisation is the user's Slack profile title (e.g. 'Veilig Thuis')."""
    try:
        profile = (await client.users_info(user=user_id))["user"].get("profile") or {}
    except SlackApiError:
        return ""
    return str(profile.get("title") or "")[:80]


def _members(values: dict[str, Any], requester: str) -> list[tuple[str, Role]]:
    members = [(values.get(Field.PROCESREGISSEUR) or requester, Role.PROCESREGISSEUR)]
    members.append((values[Field.CASUSREGISSEUR], Role.CASUSREGISSEUR))
    members += [(u, Role.DEELNEMER) for u in values.get(Field.PARTICIPANTS) or []]
    members += [(u, Role.GAST) for u in values.get(Field.GUESTS) or []]
    return members


async def create_new_case(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    code = normalise_case_code(values[Field.CODE])
    requester = turn.user_id or ""
    members = _members(values, requester)
    users = list(dict.fromkeys(user for user, _ in members))
    if values.get(Field.CHANNEL) == CHANNEL_HERE and turn.ref and turn.ref.channel_id:
        channel_id = turn.ref.channel_id
    else:
        try:
            created = await turn.client.conversations_create(name=code.lower(), is_private=True)
        except SlackApiError as error:
            log.warning("creating channel for a case failed: %s", error.response.get("error"))
            await turn.tell(turn.t("case_form.channel_failed", name=code.lower()))
            return
        channel_id = created["channel"]["id"]
    await _invite(turn.client, channel_id, [*users, requester])
    organisations = {user: await _organisation(turn.client, user) for user in users}
    async with turn.deps.db.session() as session:
        if await case_by_code(session, code=code) is not None:
            await turn.tell(turn.t("case_form.code_exists", code=code))
            return
        case = await create_case(
            session,
            code=code,
            phase=values[Field.PHASE],
            channel_id=channel_id,
            created_by=requester,
            members=[(user, role, organisations[user]) for user, role in members],
        )
        await audit.record(session, actor=requester, action="case_created", case_id=case.id)
    phase = turn.deps.catalogue.phase(values[Field.PHASE])
    lang = turn.channel_lang
    roles = "\n".join(
        f"• <@{user}> — {t(lang, f'roles.{role.value}')}"
        + (f" ({organisations[user]})" if organisations[user] else "")
        for user, role in members
    )
    await turn.client.chat_postMessage(
        channel=channel_id,
        text=t(lang, "case.registered", code=code, phase=phase.title.get(lang), roles=roles),
    )
    for user, role in members:
        if role is Role.GAST:
            await ask_guest(turn, user_id=user, case_id=case.id, code=code)


async def _invite(client: AsyncWebClient, channel_id: str, users: list[str]) -> None:
    """Invite whoever is not in the channel yet; Slack refuses the whole call for one member."""
    try:
        present = set((await client.conversations_members(channel=channel_id))["members"])
    except SlackApiError:
        present = set()
    missing = [u for u in dict.fromkeys(users) if u and u not in present]
    if missing:
        try:
            await client.conversations_invite(channel=channel_id, users=",".join(missing))
        except SlackApiError as error:
            log.warning("inviting case participants failed: %s", error.response.get("error"))
