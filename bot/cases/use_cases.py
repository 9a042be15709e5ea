"""Registering a case and confirming confidentiality: plain async functions, no Bolt objects.

Slack is asked for what the case needs (a channel, organisations) before the transaction;
the case and its participants commit together; the channel is told after.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cases.blocks import registered_text
from bot.cases.channels import invite
from bot.kit.confidentiality import confirm_blocks
from bot.kit.i18n import t
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import error_code, open_dm, profile_title
from storage import audit
from storage.cases import case_by_code, confirm_confidentiality, create_case
from storage.models import Case, Role, row_id

log = logging.getLogger("casusbot")


async def register_case(
    deps: Deps,
    client: AsyncWebClient,
    *,
    code: str,
    phase: str,
    members: Sequence[tuple[str, Role]],
    channel_id: str | None,
    requester: str,
) -> Case:
    """Register `code` in `phase` with its members, in `channel_id` or in a new private
    channel named after the code; guests are sent the confidentiality statement."""
    users = list(dict.fromkeys(user for user, _ in members))
    if channel_id is None:
        try:
            created = await client.conversations_create(name=code.lower(), is_private=True)
        except SlackApiError as error:
            log.warning("creating channel for a case failed: %s", error_code(error))
            raise Declined("case_form.channel_failed", name=code.lower()) from None
        channel_id = str(created["channel"]["id"])
    await invite(client, channel_id, [*users, requester])
    organisations = {user: await profile_title(client, user) for user in users}
    async with deps.db.session() as session:
        if await case_by_code(session, code=code) is not None:
            raise Declined("case_form.code_exists", code=code)
        case = await create_case(
            session,
            code=code,
            phase=phase,
            channel_id=channel_id,
            created_by=requester,
            members=[(user, role, organisations[user]) for user, role in members],
        )
        await audit.record(session, actor=requester, action="case_created", case_id=case.id)
    lang = deps.settings.language
    await client.chat_postMessage(
        channel=channel_id,
        text=registered_text(
            lang,
            code=code,
            phase_title=deps.catalogue.phase(phase).title.get(lang),
            members=members,
            organisations=organisations,
        ),
    )
    for user, role in members:
        if role is Role.GAST:
            await ask_guest(deps, client, user_id=user, case_id=row_id(case), code=code)
    return case


async def ask_guest(
    deps: Deps, client: AsyncWebClient, *, user_id: str, case_id: int, code: str
) -> None:
    """DM a guest the statement with a confirm button."""
    lang = await deps.users.language(client, user_id)
    try:
        await client.chat_postMessage(
            channel=await open_dm(client, user_id),
            text=t(lang, "confidentiality.intro", code=code),
            blocks=confirm_blocks(deps.settings, lang, case_id=case_id, code=code),
        )
    except SlackApiError as error:
        log.warning("could not send the confidentiality statement: %s", error_code(error))


async def confirm_guest(deps: Deps, *, case_id: int, user_id: str) -> None:
    """Record that a guest confirmed (once). Someone outside the case is told only that the
    request is not valid: no case is named."""
    async with deps.db.session() as session:
        member = await confirm_confidentiality(session, case_id=case_id, user_id=user_id)
    if member is None:
        raise Declined("errors.forged")
