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
from bot.kit.notices import want_notice
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import error_code
from storage import audit
from storage.cases import (
    case_by_code,
    case_by_id,
    confirm_confidentiality,
    create_case,
    open_case_in_channel,
    regisseurs,
)
from storage.membership import decline_as_guest, guest_only
from storage.models import Case, Role
from storage.types import utcnow

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
    referring_partner: str | None = None,
) -> Registered:
    """Register `code` in `phase` with its members in `channel_id`; in the same transaction
    the channel's announcement and each guest's confidentiality statement are wanted. A guest
    registers no case, and a channel holds one open case (checked again here: the form's
    checks ran before someone else's registration could commit)."""
    async with deps.db.session() as session:
        if await guest_only(session, user_id=requester):
            raise Declined("guests.cannot_register")
        if await case_by_code(session, code=code) is not None:
            raise Declined("case_form.code_exists", code=code)
        taken = await open_case_in_channel(session, channel_id=channel_id)
        if taken is not None:
            raise Declined("membership.channel_taken", code=taken.code)
        case = await create_case(
            session,
            code=code,
            phase=phase,
            channel_id=channel_id,
            created_by=requester,
            members=[(user, role, organisations.get(user, "")) for user, role in members],
            referring_partner=referring_partner,
        )
        await audit.record(session, actor=requester, action="case_created", case_id=case.id)
        rows = [await want_announcement(session, deps, case)]
        for user in dict.fromkeys(user for user, role in members if role is Role.GAST):
            rows.append(await want_statement(session, deps, case, user))
    return Registered(case, tuple(rows))


async def registration_check(deps: Deps, *, user_id: str, channel_id: str | None) -> str | None:
    """Before the form opens: a guest may not register a case (Declined); the code of the open
    case the channel already holds (then the channel is not offered), else None."""
    async with deps.db.session() as session:
        if await guest_only(session, user_id=user_id):
            raise Declined("guests.cannot_register")
        taken = await open_case_in_channel(session, channel_id=channel_id) if channel_id else None
    return taken.code if taken else None


async def confirm_guest(deps: Deps, *, case_id: int, user_id: str) -> Case:
    """Record that a guest confirmed (once); the case, whose channel they are invited into
    now. Someone outside the case is told only that the request is not valid: no case is
    named."""
    async with deps.db.session() as session:
        member = await confirm_confidentiality(session, case_id=case_id, user_id=user_id)
        case = await case_by_id(session, case_id=case_id) if member is not None else None
    if case is None:
        raise Declined("errors.forged")
    return case


async def decline_guest(deps: Deps, *, case_id: int, user_id: str) -> tuple[Case, tuple[int, ...]]:
    """A guest declines the statement: out of the case at once, never invited into its
    channel; the regisseurs are told. Declined (as forged) for anyone who is no unconfirmed
    guest of the case."""
    async with deps.db.session() as session:
        declined = await decline_as_guest(session, case_id=case_id, user_id=user_id, now=utcnow())
        case = await case_by_id(session, case_id=case_id) if declined else None
        if case is None:
            raise Declined("errors.forged")
        rows = tuple(
            [
                await want_notice(
                    session,
                    deps,
                    key=f"case:{case_id}:declined:{user_id}:{regisseur}",
                    case_id=case_id,
                    to=regisseur,
                    text_key="guests.declined_regisseur",
                    values={"user": user_id},
                )
                for regisseur in await regisseurs(session, case_id=case_id)
            ]
        )
    return case, rows
