"""Registering a case and confirming confidentiality: plain async functions, no Bolt objects.

Slack is asked for what the case needs (a channel, organisations) before the transaction, within
a bound: it all happens before the ack. The case and its participants commit together with the
outbox rows that announce it; the channel and the guests are told after the ack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cases.objects import want_announcement, want_statement
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import error_code
from storage import audit
from storage.cases import case_by_code, confirm_confidentiality, create_case
from storage.models import Case, Role

log = logging.getLogger("casusbot")

# What a registration waits for Slack before its commit (and so before its ack): for the new
# channel, and for the members' organisations (which are only nice to have).
SLACK_SECONDS = 1.5
ORGANISATION_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Registered:
    """A committed case and the outbox rows that announce it."""

    case: Case
    rows: tuple[int, ...]


async def case_channel(client: AsyncWebClient, *, code: str, channel_id: str | None) -> str:
    """The case's channel: the one given, or a new private channel named after the code (the
    one Slack call a registration depends on, made before the commit, within SLACK_SECONDS)."""
    if channel_id is not None:
        return channel_id
    try:
        created = await asyncio.wait_for(
            client.conversations_create(name=code.lower(), is_private=True), SLACK_SECONDS
        )
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        why = error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
        log.warning("creating channel for a case failed: %s", why)
        raise Declined("case_form.channel_failed", name=code.lower()) from None
    return str(created["channel"]["id"])


async def organisations_of(
    deps: Deps, client: AsyncWebClient, users: Sequence[str]
) -> dict[str, str]:
    """Each user's organisation (their Slack profile title; cached), asked of Slack before the
    commit and the ack: whoever Slack has not answered for in ORGANISATION_SECONDS has none."""
    lookups = {u: asyncio.ensure_future(deps.users.organisation(client, u)) for u in users}
    if lookups:
        await asyncio.wait(set(lookups.values()), timeout=ORGANISATION_SECONDS)
    found: dict[str, str] = {}
    for user, lookup in lookups.items():
        ok = lookup.done() and not lookup.cancelled() and lookup.exception() is None
        if not ok:
            lookup.cancel()
        found[user] = lookup.result() if ok else ""
    return found


async def register_case(
    deps: Deps,
    *,
    code: str,
    phase: str,
    members: Sequence[tuple[str, Role]],
    channel_id: str,
    organisations: Mapping[str, str],
    requester: str,
) -> Registered:
    """Register `code` in `phase` with its members in `channel_id`; in the same transaction
    the channel's announcement and each guest's confidentiality statement are wanted."""
    async with deps.db.session() as session:
        if await case_by_code(session, code=code) is not None:
            raise Declined("case_form.code_exists", code=code)
        case = await create_case(
            session,
            code=code,
            phase=phase,
            channel_id=channel_id,
            created_by=requester,
            members=[(user, role, organisations.get(user, "")) for user, role in members],
        )
        await audit.record(session, actor=requester, action="case_created", case_id=case.id)
        rows = [await want_announcement(session, deps, case)]
        for user in dict.fromkeys(user for user, role in members if role is Role.GAST):
            rows.append(await want_statement(session, deps, case, user))
    return Registered(case, tuple(rows))


async def confirm_guest(deps: Deps, *, case_id: int, user_id: str) -> None:
    """Record that a guest confirmed (once). Someone outside the case is told only that the
    request is not valid: no case is named."""
    async with deps.db.session() as session:
        member = await confirm_confidentiality(session, case_id=case_id, user_id=user_id)
    if member is None:
        raise Declined("errors.forged")
