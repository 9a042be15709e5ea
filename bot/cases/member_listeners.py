"""Who is in a case: the regisseurs' members form (`/casus leden`), the event when someone
joins a case channel, and the regisseur's buttons for who joined without being in the case."""

from __future__ import annotations

import re

from slack_sdk.errors import SlackApiError

from bot.cases.channels import invite
from bot.cases.members import (
    Arrival,
    MembersChange,
    change_members,
    members_of,
    on_join,
    register_joined,
    removal_problem,
    removed_from_channel,
    stranger_to_remove,
)
from bot.cases.members_blocks import ADDABLE_ROLES, members_modal, welcome_text, work_text
from bot.cases.use_cases import organisations_of
from bot.kit.confidentiality import confirm_blocks
from bot.kit.forms import bsn_errors, form_text, form_values
from bot.kit.ids import Field
from bot.kit.runtime import CaseTurn, Declined, Followup, Turn, log
from bot.kit.slack import error_code
from storage.membership import Responsibilities
from storage.models import Role, row_id

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


# ----- someone joins a case channel -----


async def member_joined(turn: Turn) -> Followup | None:
    event = turn.body.get("event") or {}
    user, channel = event.get("user"), event.get("channel")
    if not isinstance(user, str) or not isinstance(channel, str):
        return None
    bot_user = (turn.body.get("authorizations") or [{}])[0].get("user_id")
    joined = await on_join(turn.deps, channel_id=channel, user_id=user, bot_user_id=bot_user)
    if joined.arrival is Arrival.NOT_A_CASE or joined.case is None:
        return None
    case = joined.case

    async def greet() -> None:
        settings = turn.deps.settings
        if joined.arrival is Arrival.STATEMENT:
            blocks = confirm_blocks(settings, turn.lang, case_id=row_id(case), code=case.code)
            await turn.tell(turn.t("confidentiality.intro", code=case.code), blocks=blocks)
        elif joined.arrival is Arrival.WELCOME:
            text = welcome_text(
                turn.lang,
                code=case.code,
                user=user,
                next_meeting=joined.next_meeting,
                actions=joined.actions,
                tz=settings.timezone,
            )
            await turn.tell(text)
        else:
            await turn.tell(turn.t("joined.not_registered"))
            await turn.show(joined.rows)

    return greet


def _joined_user(turn: CaseTurn) -> str:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not USER_ID.match(choice):
        raise Declined("errors.forged")
    return choice


async def register_joiner(turn: CaseTurn) -> Followup:
    user = _joined_user(turn)
    organisation = (await organisations_of(turn.deps, turn.client, [user])).get(user, "")
    rows = await register_joined(
        turn.deps, case=turn.case, user_id=user, organisation=organisation, by=turn.user_id
    )

    async def shown() -> None:
        await turn.show(rows)

    return shown


async def remove_joiner(turn: CaseTurn) -> Followup:
    user = _joined_user(turn)
    await stranger_to_remove(turn.deps, case=turn.case, user_id=user)

    async def kick() -> None:
        try:
            await turn.client.conversations_kick(channel=turn.case.channel_id, user=user)
        except SlackApiError as error:
            code = error_code(error)
            if code != "not_in_channel":
                log.warning("kicking a stranger from case %s failed: %s", turn.case_id, code)
                await turn.tell(turn.t("joined.kick_failed", user=user, error=code))
                return
        rows = await removed_from_channel(turn.deps, case=turn.case, user_id=user, by=turn.user_id)
        await turn.show(rows)

    return kick


# ----- the members form -----


async def open_members_form(turn: CaseTurn) -> Followup:
    members = await members_of(turn.deps, case_id=turn.case_id)
    view = members_modal(
        turn.lang,
        case_id=turn.case_id,
        code=turn.case.code,
        members=members,
        partner=turn.case.referring_partner,
    )

    async def opened() -> None:
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return opened


def _change(turn: Turn) -> MembersChange:
    values = form_values(turn.view)
    role = values.get(Field.ADD_ROLE)
    roles = {r.value: r for r in ADDABLE_ROLES}
    add = [u for u in values.get(Field.ADD_MEMBERS) or [] if isinstance(u, str)]
    return MembersChange(
        add=add,
        role=roles.get(role or "", Role.DEELNEMER),
        remove=values.get(Field.REMOVE_MEMBER) or None,
        hand_over_to=values.get(Field.HAND_OVER_TO) or None,
        referring_partner=form_text(values, Field.REFERRING_PARTNER) or None,
    )


async def validate_members(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    if values.get(Field.ADD_ROLE) not in {r.value for r in ADDABLE_ROLES}:
        return {Field.ADD_ROLE: turn.t("errors.forged")}
    errors = bsn_errors(turn.lang, values, Field.REFERRING_PARTNER)
    if errors:
        return errors
    change = _change(turn)
    if not (change.add or change.remove or change.referring_partner):
        return {Field.ADD_MEMBERS: turn.t("membership.nothing_chosen")}
    problem = await removal_problem(turn.deps, case_id=turn.case_id, change=change)
    if problem is None:
        return None
    key, found = problem
    carried = found.get("work")
    values_shown = dict(found)
    if isinstance(carried, Responsibilities):
        values_shown["work"] = work_text(turn.lang, carried)
    field = Field.HAND_OVER_TO if key.startswith("membership.hand_over") else Field.REMOVE_MEMBER
    if key == "membership.carries":
        field = Field.HAND_OVER_TO
    return {field: turn.t(key, **values_shown)}


async def save_members(turn: CaseTurn) -> Followup:
    change = _change(turn)
    organisations = await organisations_of(turn.deps, turn.client, list(change.add))
    changed = await change_members(
        turn.deps, case=turn.case, change=change, organisations=organisations, by=turn.user_id
    )

    async def shown() -> None:
        case = changed.case
        if changed.to_invite:
            await invite(turn.client, case.channel_id, changed.to_invite)
        lines = [turn.t("membership.done", code=case.code)]
        if changed.added:
            users = ", ".join(f"<@{u}>" for u in changed.added)
            lines.append(turn.t("membership.added", users=users))
        if changed.handed_over is not None and change.hand_over_to:
            work = work_text(turn.lang, changed.handed_over)
            if work:
                lines.append(turn.t("membership.handed_over", user=change.hand_over_to, work=work))
        if changed.removed:
            lines.append(turn.t("membership.removed", users=f"<@{changed.removed}>"))
        if changed.partner_set:
            lines.append(turn.t("membership.partner_set"))
        await turn.tell("\n".join(lines))
        await turn.show(changed.rows)
        if changed.removed:
            await _kick(turn, case.channel_id, changed.removed)

    return shown


async def _kick(turn: CaseTurn, channel_id: str, user: str) -> None:
    """Out of the channel where the bot may; where Slack refuses, the regisseur is told."""
    try:
        await turn.client.conversations_kick(channel=channel_id, user=user)
    except SlackApiError as error:
        code = error_code(error)
        if code == "not_in_channel":
            return
        log.warning("removing a participant of case %s from its channel: %s", turn.case_id, code)
        await turn.tell(turn.t("membership.kick_failed", user=user, error=code))
