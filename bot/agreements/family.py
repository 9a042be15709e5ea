"""The agreements for the family (issue 16): a plain-language version of the current agreements
(B1 Dutch, or English), made by the casusregisseur and sent to them as Markdown and PDF in a DM,
to read and share with the people involved.

Generated from the database (storage.family gathers, flows.family_agreements writes it): no
scores, minutes or opinions, and organisations instead of professionals' names. Asking for it is
audited (who, never what); each file is an outbox object of the case, so the purge deletes it
from Slack with the case.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import payload_int, wanted
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm, uploaded_id
from bot.outbox import RenderContext, Rendered, RenderFailed
from flows.family_agreements import render
from storage import audit
from storage.cases import case_by_id
from storage.family import family_data
from storage.models import Case, row_id
from storage.types import utcnow

FORMATS = ("md", "pdf")


async def want_family_files(
    session: AsyncSession, deps: Deps, *, case: Case, by: str, lang: str, now: datetime
) -> list[int]:
    """Both files for `by` (the casusregisseur), audited in the same transaction."""
    case_id = row_id(case)
    await audit.record(
        session, actor=by, action="family_agreements_made", case_id=case_id, detail=lang
    )
    made = f"{now:%Y%m%d%H%M%S%f}"
    return [
        await wanted(
            session,
            deps,
            key=f"case:{case_id}:family:{made}:{fmt}",
            kind=ObjectKind.FAMILY_FILE,
            case_id=case_id,
            channel_id=by,
            payload={"case": case_id, "format": fmt, "lang": lang},
        )
        for fmt in FORMATS
    ]


async def family_markdown(deps: Deps, *, case_id: int, lang: str) -> str:
    async with deps.db.session() as session:
        data = await family_data(
            session, case_id=case_id, now=utcnow(), emergency_text=deps.settings.emergency_text
        )
    return render(data, lang, deps.settings.timezone)


async def render_family_file(deps: Deps, ctx: RenderContext) -> Rendered:
    """One file in the casusregisseur's DM. Files cannot be edited: once uploaded it stays."""
    if ctx.file_id is not None:
        return Rendered(file_id=ctx.file_id)
    case_id = payload_int(ctx.payload, "case")
    fmt = str(ctx.payload.get("format") or "")
    lang = "en" if ctx.payload.get("lang") == "en" else "nl"
    if fmt not in FORMATS:
        raise RenderFailed("bad_format")
    async with deps.db.session() as session:
        case = await case_by_id(session, case_id=case_id)
    if case is None:
        raise RenderFailed("case_gone")
    markdown = await family_markdown(deps, case_id=case_id, lang=lang)
    name = f"{t(lang, 'family.file_name')}-{case.code}"
    if fmt == "md":
        content = markdown.encode()
        comment: str | None = t(lang, "family.uploaded", code=case.code)
    else:
        from bot.reports.pdf import render_pdf  # imported on first use: it is heavy

        title = t(lang, "family.title")
        content = await asyncio.to_thread(render_pdf, markdown, title=title)
        comment = None
    response = await ctx.client.files_upload_v2(
        channel=await open_dm(ctx.client, ctx.row.channel_id),
        initial_comment=comment,
        file_uploads=[{"content": content, "filename": f"{name}.{fmt}", "title": f"{name}.{fmt}"}],
    )
    return Rendered(file_id=uploaded_id(response))
