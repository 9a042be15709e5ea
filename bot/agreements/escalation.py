"""Escalations in the case channel, each with an owner (issue 16): a bodemeis broken, its check
left unanswered, or a high-priority action that cannot be done.

Raising one records it (storage.escalations: its "nobody picked this up" DMs are scheduled in
the same transaction) and asks the outbox for its post, so the post is drawn from what is
stored: "Ik pak dit op" until someone did, then who did; what was done once resolved; and the
emergency line always. Picking up and resolving are also told in the post's thread, so the
others hear it. One outbox row per escalation: a retried raise (the reminder poller after a
crash) finds the same row, and the post is never made twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.dms import Escalation as CheckEscalation
from bot.agreements.dms import Ownership, escalation_head, owned_escalation
from bot.kit.blocks import mention
from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import bump, payload_int, wanted
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from storage.agreements import (
    ESCALATION_WORKING_DAYS,
    Agreement,
    CheckAnswer,
    agreement_by_id,
    escalation_plan,
)
from storage.cases import case_by_id, lead_of
from storage.escalations import Escalation, EscalationKind, Raised, escalation_by_id
from storage.escalations import raise_escalation as store_escalation
from storage.models import Case, row_id
from storage.slack_objects import object_by_key


def post_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}"


def _lane(escalation_id: int) -> str:
    return f"escalation:{escalation_id}"


async def raise_and_show(
    session: AsyncSession,
    deps: Deps,
    *,
    case: Case,
    kind: EscalationKind,
    agreement_id: int,
    occurrence: str,
    raised_by: str | None,
    now: datetime,
) -> tuple[Raised, int]:
    """Record the escalation (or find it, when raised before) and want its post; in the
    caller's transaction. Returns it and the post's outbox row."""
    settings = deps.settings
    raised = await store_escalation(
        session,
        case_id=row_id(case),
        kind=kind,
        agreement_id=agreement_id,
        occurrence=occurrence,
        raised_by=raised_by,
        now=now,
        hours=settings.working_hours,
        tz=settings.timezone,
        pickup_hours=settings.escalation_pickup_hours,
    )
    escalation_id = row_id(raised.escalation)
    row = await wanted(
        session,
        deps,
        key=post_key(escalation_id),
        kind=ObjectKind.ESCALATION,
        case_id=row_id(case),
        channel_id=case.channel_id,
        lane=_lane(escalation_id),
        payload={"escalation": escalation_id},
    )
    return raised, row


async def want_news(
    session: AsyncSession, deps: Deps, *, escalation: Escalation, channel_id: str, news: str
) -> list[int]:
    """The post redrawn, and a reply in its thread that tells the others (`news`: picked or
    resolved)."""
    escalation_id = row_id(escalation)
    rows = []
    post = await object_by_key(session, key=post_key(escalation_id))
    if post is not None:
        rows.append(await bump(session, deps, post))
    rows.append(
        await wanted(
            session,
            deps,
            key=f"{post_key(escalation_id)}:{news}",
            kind=ObjectKind.ESCALATION_NEWS,
            case_id=escalation.case_id,
            channel_id=channel_id,
            parent_key=post_key(escalation_id),
            lane=_lane(escalation_id),
            payload={"escalation": escalation_id, "news": news},
        )
    )
    return rows


async def _loaded(deps: Deps, ctx: RenderContext) -> tuple[Escalation, Agreement, Case]:
    async with deps.db.session() as session:
        escalation = await escalation_by_id(
            session, escalation_id=payload_int(ctx.payload, "escalation")
        )
        agreement = (
            await agreement_by_id(session, agreement_id=escalation.agreement_id)
            if escalation
            else None
        )
        case = await case_by_id(session, case_id=escalation.case_id) if escalation else None
    if escalation is None or agreement is None or case is None:
        raise RenderFailed("escalation_gone")
    return escalation, agreement, case


def head_of(
    lang: str, escalation: Escalation, agreement: Agreement, case: Case, lead: str | None
) -> str:
    """What happened, in the words of the escalation's kind."""
    if escalation.kind == EscalationKind.ACTION_NOT_POSSIBLE:
        return t(
            lang,
            "escalations.action_head",
            code=case.code,
            lead=mention(lead) if lead else t(lang, "agreements.no_lead"),
            by=mention(agreement.finished_by) if agreement.finished_by else "—",
            what=(agreement.text or "").strip(),
            reason=(agreement.reason or "").strip(),
        )
    answer = (
        CheckAnswer.NOT_MET
        if escalation.kind == EscalationKind.BODEMEIS_NOT_MET
        else CheckAnswer.NO_ANSWER
    )
    return escalation_head(
        lang,
        CheckEscalation(
            code=case.code,
            text=agreement.text or "",
            occurrence=date.fromisoformat(escalation.occurrence),
            answer=answer,
            monitor=agreement.monitor_user_id,
            lead=lead,
            plan=None,
            days=ESCALATION_WORKING_DAYS,
        ),
    )


def ownership(escalation: Escalation) -> Ownership:
    return Ownership(
        escalation_id=row_id(escalation),
        owner=escalation.owner_user_id,
        resolution=escalation.resolution,
        resolved_by=escalation.resolved_by,
        note=escalation.note,
    )


async def render_escalation(deps: Deps, ctx: RenderContext) -> Rendered:
    escalation, agreement, case = await _loaded(deps, ctx)
    async with deps.db.session() as session:
        lead = await lead_of(session, case_id=row_id(case))
        plan = await escalation_plan(session, case_id=row_id(case))
    lang = deps.settings.language
    blocks = owned_escalation(
        lang,
        head=head_of(lang, escalation, agreement, case, lead),
        plan=plan,
        ref=Ref(case_id=row_id(case)),
        owned=ownership(escalation),
        emergency=deps.settings.emergency_text,
    )
    text = t(lang, "escalation.short", code=case.code)
    return await post_or_update(ctx, text=text, blocks=blocks)


async def render_news(deps: Deps, ctx: RenderContext) -> Rendered:
    escalation, _, case = await _loaded(deps, ctx)
    lang = deps.settings.language
    if ctx.payload.get("news") == "resolved" and escalation.resolution is not None:
        text = t(
            lang,
            "escalations.resolved_news",
            code=case.code,
            by=mention(escalation.resolved_by) if escalation.resolved_by else "—",
            resolution=t(lang, f"escalations.resolution_{escalation.resolution}"),
        )
    elif escalation.owner_user_id is not None:
        text = t(
            lang,
            "escalations.picked_news",
            code=case.code,
            owner=mention(escalation.owner_user_id),
        )
    else:
        raise RenderFailed("escalation_not_owned")
    return await post_or_update(ctx, text=text)


async def post_ts(deps: Deps, escalation_id: int) -> str | None:
    """The escalation post's ts once Slack has it."""
    async with deps.db.session() as session:
        row = await object_by_key(session, key=post_key(escalation_id))
    return row.ts if row is not None else None
