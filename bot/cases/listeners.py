"""Register a case: `/casus nieuw` opens a modal; its submission creates the case. And the
guest's click that confirms the confidentiality statement.

The modal offers "this channel" only when it is private and the bot is in it, and the
submission checks again, since the channel travels in private_metadata that a client could
forge.
"""

from __future__ import annotations

from typing import Any

from bot.cases.blocks import CHANNEL_HERE, new_case_modal
from bot.cases.channels import Privacy, channel_privacy, invite
from bot.cases.use_cases import (
    case_channel,
    confirm_guest,
    decline_guest,
    organisations_of,
    register_case,
    registration_check,
)
from bot.kit.blocks import context, dicts
from bot.kit.forms import bsn_errors, form_text, form_values
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import Declined, Followup, Turn, later
from bot.kit.slack import tell_user
from flows.personal_data import normalise_case_code, validate_case_code
from storage.cases import case_by_code, open_case_in_channel
from storage.models import Case, CaseStatus, Role


async def open_new_case(turn: Turn) -> Followup:
    """The form opens after the ack (opening it changes nothing). A guest gets no form; a
    channel that holds an open case is not offered for a new one."""
    if not turn.user_id:
        raise Declined("errors.forged")
    taken = await registration_check(turn.deps, user_id=turn.user_id, channel_id=turn.channel_id)
    return later(_open_new_case, turn, turn.user_id, taken)


async def _open_new_case(turn: Turn, user_id: str, taken: str | None) -> None:
    privacy = await channel_privacy(turn.client, turn.channel_id)
    view = new_case_modal(
        turn.lang,
        turn.deps.catalogue,
        requester=user_id,
        origin=Ref(channel_id=turn.channel_id) if turn.channel_id else Ref(),
        channel_usable=privacy is Privacy.PRIVATE and taken is None,
    )
    if taken is not None:
        await turn.tell(turn.t("membership.channel_taken", code=taken))
    elif privacy is not Privacy.PRIVATE and turn.channel_id:  # the home tab has no channel
        await turn.tell(turn.t(f"case_form.channel_{privacy}"))
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


async def validate_new_case(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.view)
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
    partner_errors = bsn_errors(turn.lang, values, Field.REFERRING_PARTNER)
    if partner_errors:
        return partner_errors
    if values.get(Field.CHANNEL) == CHANNEL_HERE:
        origin = turn.ref.channel_id if turn.ref else None
        taken = await _open_case_in(turn, origin)
        if taken is not None:
            return {Field.CHANNEL: turn.t("membership.channel_taken", code=taken.code)}
        if await channel_privacy(turn.client, origin) is not Privacy.PRIVATE:
            return {Field.CHANNEL: turn.t("case_form.channel_not_private")}
    return None


async def _open_case_in(turn: Turn, channel_id: str | None) -> Case | None:
    if not channel_id:
        return None
    async with turn.deps.db.session() as session:
        return await open_case_in_channel(session, channel_id=channel_id)


def _members(values: dict[str, Any], requester: str) -> list[tuple[str, Role]]:
    members = [(values.get(Field.PROCESREGISSEUR) or requester, Role.PROCESREGISSEUR)]
    members.append((values[Field.CASUSREGISSEUR], Role.CASUSREGISSEUR))
    members += [(u, Role.DEELNEMER) for u in values.get(Field.PARTICIPANTS) or []]
    members += [(u, Role.GAST) for u in values.get(Field.GUESTS) or []]
    return members


async def create_new_case(turn: Turn) -> Followup:
    requester = turn.user_id
    if not requester:
        raise Declined("errors.forged")
    values = form_values(turn.view)
    here = values.get(Field.CHANNEL) == CHANNEL_HERE and turn.ref and turn.ref.channel_id
    code = normalise_case_code(values[Field.CODE])
    members = _members(values, requester)
    users = list(dict.fromkeys(user for user, _ in members))
    # The first role named for a user is theirs (storage.cases.create_case); guests are invited
    # into the channel only once they confirmed the confidentiality statement (issue 18).
    first_roles: dict[str, Role] = {}
    for user, role in members:
        first_roles.setdefault(user, role)
    invited = [user for user, role in first_roles.items() if role is not Role.GAST]
    channel_id = await case_channel(
        turn.client, code=code, channel_id=turn.ref.channel_id if here and turn.ref else None
    )
    registered = await register_case(
        turn.deps,
        code=code,
        phase=values[Field.PHASE],
        members=members,
        channel_id=channel_id,
        organisations=await organisations_of(turn.deps, turn.client, users),
        requester=requester,
        referring_partner=form_text(values, Field.REFERRING_PARTNER) or None,
    )

    async def announce() -> None:
        await invite(turn.client, channel_id, [*invited, requester])
        await turn.show(registered.rows)
        # The author hears back where they typed (a DM from the home tab), with the way in.
        origin = turn.ref.channel_id if turn.ref else None
        if origin != channel_id:
            await turn.settle_language()
            done = turn.t("case_form.registered", code=code, channel=f"<#{channel_id}>")
            await tell_user(turn.client, requester, origin, done)

    return announce


async def confirm_confidentiality(turn: Turn) -> Followup:
    """The guest's click: record when they confirmed, and say so where they clicked."""
    ref = turn.ref
    if ref is None or ref.case_id is None or not turn.user_id:
        raise Declined("errors.forged")
    case = await confirm_guest(turn.deps, case_id=ref.case_id, user_id=turn.user_id)
    return later(_confirmed, turn, case, turn.user_id)


async def decline_confidentiality(turn: Turn) -> Followup:
    """The guest's 'no': out of the case, never invited into its channel."""
    ref = turn.ref
    if ref is None or ref.case_id is None or not turn.user_id:
        raise Declined("errors.forged")
    case, rows = await decline_guest(turn.deps, case_id=ref.case_id, user_id=turn.user_id)

    async def told() -> None:
        await _replace_statement(turn, turn.t("guests.declined", code=case.code))
        await turn.show(rows)

    return told


async def _confirmed(turn: Turn, case: Case, user_id: str) -> None:
    # Only now may the guest read the channel (need-to-know, issue 18).
    if case.status == CaseStatus.OPEN:
        await invite(turn.client, case.channel_id, [user_id])
    await _replace_statement(turn, turn.t("confidentiality.done"))


async def _replace_statement(turn: Turn, done: str) -> None:
    container = turn.body.get("container") or {}
    if (
        container.get("channel_id")
        and container.get("message_ts")
        and not container.get("is_ephemeral")
    ):
        await turn.client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=done,
            blocks=dicts([context(done)]),
        )
    else:
        await turn.tell(done)
