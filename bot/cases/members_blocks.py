"""Block Kit of who is in a case: the members form, the welcome for who joins the case
channel, and the regisseur's notice about someone who joined it without being in the case.
Pure functions of data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    UserMultiSelectElement,
    UserSelectElement,
)

from bot.kit.blocks import button, context, dicts, local_day, local_time, md, modal
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from storage.agreements import Agreement
from storage.membership import Responsibilities
from storage.models import Participant, Role

# Whom the form may add: participants and guests (regisseurs are named at registration).
ADDABLE_ROLES = (Role.DEELNEMER, Role.GAST)


def work_text(lang: str, carried: Responsibilities) -> str:
    """'2 open actie(s), 1 bodemeis(en) om te bewaken'."""
    parts = [
        t(lang, f"membership.work_{name}", n=len(items))
        for name, items in (
            ("actions", carried.actions),
            ("bodemeisen", carried.bodemeisen),
            ("escalations", carried.escalations),
        )
        if items
    ]
    return ", ".join(parts)


def members_modal(
    lang: str, *, case_id: int, code: str, members: Sequence[Participant], partner: str | None
) -> dict[str, Any]:
    listed = "\n".join(
        f"• <@{m.user_id}> — {t(lang, f'roles.{m.role}')}"
        + (f" ({m.organisation})" if m.organisation else "")
        for m in members
    )
    roles = [Option(value=r.value, text=t(lang, f"roles.{r.value}")) for r in ADDABLE_ROLES]
    blocks: list[Block] = [
        SectionBlock(text=md(t(lang, "membership.current", code=code, members=listed)[:3000])),
        InputBlock(
            block_id=Field.ADD_MEMBERS,
            label=t(lang, "membership.add"),
            hint=t(lang, "membership.add_hint"),
            optional=True,
            element=UserMultiSelectElement(action_id=Field.ADD_MEMBERS),
        ),
        InputBlock(
            block_id=Field.ADD_ROLE,
            label=t(lang, "membership.add_role"),
            element=RadioButtonsElement(
                action_id=Field.ADD_ROLE, options=roles, initial_option=roles[0]
            ),
        ),
        InputBlock(
            block_id=Field.REMOVE_MEMBER,
            label=t(lang, "membership.remove"),
            hint=t(lang, "membership.remove_hint"),
            optional=True,
            element=UserSelectElement(action_id=Field.REMOVE_MEMBER),
        ),
        InputBlock(
            block_id=Field.HAND_OVER_TO,
            label=t(lang, "membership.hand_over_to"),
            hint=t(lang, "membership.hand_over_hint"),
            optional=True,
            element=UserSelectElement(action_id=Field.HAND_OVER_TO),
        ),
        InputBlock(
            block_id=Field.REFERRING_PARTNER,
            label=t(lang, "membership.referring_partner"),
            hint=t(lang, "membership.referring_partner_hint"),
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.REFERRING_PARTNER, max_length=80, initial_value=partner or None
            ),
        ),
    ]
    texts = ("membership.form_title", "membership.form_submit", "membership.form_cancel")
    return modal(lang, ViewId.MEMBERS, texts, ref=Ref(case_id=case_id), blocks=blocks)


def welcome_text(
    lang: str,
    *,
    code: str,
    user: str,
    next_meeting: datetime | None,
    actions: Sequence[Agreement],
    tz: ZoneInfo,
) -> str:
    upcoming = (
        t(lang, "joined.next_meeting", when=local_time(lang, next_meeting, tz))
        if next_meeting
        else t(lang, "joined.no_meeting")
    )
    if actions:
        lines = "\n".join(
            f"• {a.text or ''}" + (f" ({local_day(lang, a.due_date)})" if a.due_date else "")
            for a in actions
        )
        mine = t(lang, "joined.your_actions", lines=lines)
    else:
        mine = t(lang, "joined.no_actions")
    return t(lang, "joined.welcome", code=code, user=user, next=upcoming, actions=mine)


def joined_notice(
    lang: str,
    *,
    case_id: int,
    code: str,
    channel_id: str,
    user: str,
    outcome: str | None,
    by: str | None,
) -> tuple[str, list[dict[str, Any]]]:
    """The regisseur's DM: who joined; the buttons until someone acted, then what they did."""
    text = t(lang, "joined.tell_regisseurs", user=user, channel=f"<#{channel_id}>", code=code)
    blocks: list[Block] = [SectionBlock(text=md(text))]
    if outcome:
        blocks.append(context(t(lang, f"joined.{outcome}", user=user, code=code, by=by or "?")))
    else:
        ref = Ref(case_id=case_id, choice=user)
        blocks.append(
            ActionsBlock(
                elements=[
                    button(t(lang, "joined.register"), ActionId.JOIN_REGISTER, ref),
                    button(t(lang, "joined.remove"), ActionId.JOIN_REMOVE, ref, style="danger"),
                ]
            )
        )
    return text, dicts(blocks)
