"""Block Kit of a safe close: the closing form (what is still open, each with its choice; the
afsluitingsplan or a reason to close without one), the aftercare DM, and the channel's note.
Pure functions of data."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

from bot.kit.blocks import OPTION_TEXT_LIMIT, button, context, dicts, md, modal
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from storage.agreements import Agreement, AgreementKind, AgreementStatus
from storage.closing import ClosingBlockers

SETTLE_PREFIX = "settle:"
# Slack's label limit for an input block; the agreement's text is cut to fit.
LABEL_LIMIT = 2000
OUTCOMES = {
    AgreementKind.ACTION: (
        AgreementStatus.DONE,
        AgreementStatus.ENDED,
        AgreementStatus.HANDED_OVER,
    ),
    AgreementKind.BODEMEIS: (AgreementStatus.ENDED, AgreementStatus.HANDED_OVER),
}


def settle_block_id(agreement_id: int) -> str:
    return f"{SETTLE_PREFIX}{agreement_id}"


def _settle_input(lang: str, agreement: Agreement) -> InputBlock:
    kind = AgreementKind(agreement.kind)
    label_key = "closing.action_label" if kind is AgreementKind.ACTION else "closing.bodemeis_label"
    options = [
        Option(value=o.value, text=t(lang, f"closing.outcome_{o.value}")[:OPTION_TEXT_LIMIT])
        for o in OUTCOMES[kind]
    ]
    block_id = settle_block_id(agreement.id or 0)
    return InputBlock(
        block_id=block_id,
        label=t(lang, label_key, text=" ".join((agreement.text or "").split()))[:LABEL_LIMIT],
        element=StaticSelectElement(action_id=block_id, options=options),
    )


def close_modal(
    lang: str, *, case_id: int, meeting_id: int | None, code: str, blockers: ClosingBlockers
) -> dict[str, Any]:
    blocks: list[Block] = [SectionBlock(text=md(t(lang, "closing.case", code=code)))]
    if blockers.has_plan:
        blocks.append(context(t(lang, "closing.plan_found")))
    else:
        blocks.append(SectionBlock(text=md(t(lang, "closing.no_plan"))))
        blocks.append(
            InputBlock(
                block_id=Field.REASON,
                label=t(lang, "closing.override"),
                element=PlainTextInputElement(
                    action_id=Field.REASON, multiline=True, max_length=1000
                ),
            )
        )
    items = blockers.open_actions + blockers.active_bodemeisen
    if items:
        blocks.append(SectionBlock(text=md(t(lang, "closing.open_items"))))
        blocks += [_settle_input(lang, item) for item in items]
    else:
        blocks.append(context(t(lang, "closing.nothing_open")))
    if blockers.open_escalations:
        blocks.append(
            context(t(lang, "closing.escalations_open", n=len(blockers.open_escalations)))
        )
    texts = ("closing.title", "closing.submit", "closing.cancel")
    ref = Ref(case_id=case_id, meeting_id=meeting_id)
    return modal(lang, ViewId.CLOSE_CASE, texts, ref=ref, blocks=blocks)


def close_prompt(lang: str, *, case_id: int, meeting_id: int, code: str) -> list[dict[str, Any]]:
    """To the regisseur whose meeting decided to close: the case is not closed yet."""
    return dicts(
        [
            SectionBlock(text=md(t(lang, "closing.not_yet", code=code))),
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "closing.open_form"),
                        ActionId.CLOSE_CASE_OPEN,
                        Ref(case_id=case_id, meeting_id=meeting_id),
                        style="primary",
                    )
                ]
            ),
        ]
    )


def aftercare_dm(
    lang: str, *, case_id: int, closure_id: int, code: str, closed_on: str
) -> list[dict[str, Any]]:
    ref = Ref(case_id=case_id, choice=str(closure_id))
    confirm = ConfirmObject(
        title=t(lang, "aftercare.reopen_confirm_title"),
        text=t(lang, "aftercare.reopen_confirm_text"),
        confirm=t(lang, "aftercare.reopen_confirm"),
        deny=t(lang, "aftercare.cancel"),
    )
    return dicts(
        [
            SectionBlock(text=md(t(lang, "aftercare.dm", code=code, closed=closed_on))),
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "aftercare.well"), ActionId.AFTERCARE_WELL, ref, style="primary"
                    ),
                    button(
                        t(lang, "aftercare.reopen"),
                        ActionId.AFTERCARE_REOPEN,
                        ref,
                        style="danger",
                        confirm=confirm,
                    ),
                ]
            ),
        ]
    )
