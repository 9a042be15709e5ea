"""A short note about a case, as an outbox object (DESIGN §2): to a person's DM or the case
channel, in the reader's language, drawn from its row. Used where a regisseur's decision must
reach people durably — someone added, removed, a guest who declined, a case closed or
reopened — and recorded like every case post, so the purge deletes it.

The row's payload holds the catalogue key and its values (ids and dates: never free text, as
storage allows); the case's code and channel are read from the case when it is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import case_of, wanted
from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update

Value = str | int
RESERVED = frozenset({"case", "text", "code", "channel"})


async def want_notice(
    session: AsyncSession,
    deps: Deps,
    *,
    key: str,
    case_id: int,
    to: str,
    text_key: str,
    values: Mapping[str, Value],
) -> int:
    """A note to `to` (a user id: their DM; a channel id: that channel), unique per `key`.
    `values` fill the text's placeholders beside {code} and {channel}, which come from the
    case."""
    if RESERVED & set(values):
        raise ValueError("code and channel come from the case")
    return await wanted(
        session,
        deps,
        key=key,
        kind=ObjectKind.CASE_NOTICE,
        case_id=case_id,
        channel_id=to,
        payload={"case": case_id, "text": text_key, **values},
    )


async def render_notice(deps: Deps, ctx: RenderContext) -> Rendered:
    case = await case_of(deps, ctx)
    text_key = ctx.payload.get("text")
    if not isinstance(text_key, str):
        raise RenderFailed("bad_notice")
    values = {k: v for k, v in ctx.payload.items() if k not in RESERVED}
    values.update(code=case.code, channel=f"<#{case.channel_id}>")
    to = ctx.row.channel_id
    # A user's DM in their language; a channel in the workspace's.
    lang = await deps.users.language(ctx.client, to) if to.startswith(("U", "W")) else None
    return await post_or_update(ctx, text=t(lang or deps.settings.language, text_key, **values))
