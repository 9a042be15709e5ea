"""A case's own Slack objects (outbox rows): the announcement in its channel, and each guest's
confidentiality statement in their DM — asked for with the case's registration, drawn from
what is stored."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.blocks import registered_text
from bot.cases.members_blocks import joined_notice
from bot.kit.confidentiality import confirm_blocks
from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import case_of, wanted
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, post_or_update
from storage.cases import participants
from storage.models import Case, Role, row_id


async def want_announcement(session: AsyncSession, deps: Deps, case: Case) -> int:
    case_id = row_id(case)
    return await wanted(
        session,
        deps,
        key=f"case:{case_id}:announcement",
        kind=ObjectKind.CASE_ANNOUNCEMENT,
        case_id=case_id,
        channel_id=case.channel_id,
        payload={"case": case_id},
    )


async def want_statement(session: AsyncSession, deps: Deps, case: Case, user_id: str) -> int:
    """A guest's DM with the statement to confirm before anything else."""
    case_id = row_id(case)
    return await wanted(
        session,
        deps,
        key=f"case:{case_id}:statement:{user_id}",
        kind=ObjectKind.CASE_STATEMENT,
        case_id=case_id,
        channel_id=user_id,  # the guest's DM
        payload={"case": case_id, "user": user_id},
    )


async def render_announcement(deps: Deps, ctx: RenderContext) -> Rendered:
    """The channel's note that the case exists: its phase and who has which role."""
    case = await case_of(deps, ctx)
    async with deps.db.session() as session:
        members = await participants(session, case_id=row_id(case))
    lang = deps.settings.language
    text = registered_text(
        lang,
        code=case.code,
        phase_title=deps.catalogue.phase(case.phase).title.get(lang),
        members=[(m.user_id, Role(m.role)) for m in members],
        organisations={m.user_id: m.organisation for m in members},
        referring_partner=case.referring_partner,
    )
    return await post_or_update(ctx, text=text)


async def render_statement(deps: Deps, ctx: RenderContext) -> Rendered:
    """The confidentiality statement with its confirm button, in the guest's language."""
    case = await case_of(deps, ctx)
    user = str(ctx.payload.get("user") or "")
    lang = await deps.users.language(ctx.client, user)
    blocks = confirm_blocks(deps.settings, lang, case_id=row_id(case), code=case.code)
    text = t(lang, "confidentiality.intro", code=case.code)
    return await post_or_update(ctx, text=text, blocks=blocks)


async def render_joined(deps: Deps, ctx: RenderContext) -> Rendered:
    """A regisseur's DM about someone in the case channel who is not in the case."""
    case = await case_of(deps, ctx)
    user = str(ctx.payload.get("user") or "")
    outcome, by = ctx.payload.get("outcome"), ctx.payload.get("by")
    lang = await deps.users.language(ctx.client, ctx.row.channel_id)
    text, blocks = joined_notice(
        lang,
        case_id=row_id(case),
        code=case.code,
        channel_id=case.channel_id,
        user=user,
        outcome=str(outcome) if outcome else None,
        by=str(by) if by else None,
    )
    return await post_or_update(ctx, text=text, blocks=blocks)
