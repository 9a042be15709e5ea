"""The report in the meeting thread as Markdown and PDF (file upload v2): each file an outbox
object, rendered from what is stored when it goes out. `report_published` is audited once the
last file is in Slack, not before."""

from __future__ import annotations

import asyncio

from bot.kit.i18n import t
from bot.kit.objects import payload_int
from bot.kit.runtime import Deps
from bot.kit.slack import uploaded_id
from bot.outbox import RenderContext, Rendered, RenderFailed, lays_out
from bot.reports.gather import gather_report
from bot.reports.markdown import render_markdown
from storage import audit
from storage.meetings import meeting_by_id


@lays_out
async def render_report_file(deps: Deps, ctx: RenderContext) -> Rendered:
    """One of the report's files. A file cannot be edited: once uploaded it stays as it is
    (and carries no metadata: a retry after an upload whose answer was lost uploads again)."""
    if ctx.file_id is not None:
        return Rendered(file_id=ctx.file_id)
    meeting_id = payload_int(ctx.payload, "meeting")
    fmt = str(ctx.payload.get("format") or "")
    if fmt not in ("md", "pdf"):
        raise RenderFailed("bad_format")
    lang = deps.settings.language  # the report lands in the case channel: everyone reads it
    report = await gather_report(deps, ctx.client, meeting_id=meeting_id, lang=lang)
    markdown = render_markdown(lang, report)
    name = f"verslag-{report.code}-{meeting_id}"
    if fmt == "md":
        content = markdown.encode()
    else:
        # fpdf (with PIL, numpy and fontTools) is imported on the first report, not at start:
        # it costs ~50 MB of resident memory and a second of start-up the bot mostly never needs.
        from bot.reports.pdf import render_pdf

        # Laying out pages is CPU work: keep it off the event loop so other clicks are answered.
        content = await asyncio.to_thread(
            render_pdf, markdown, title=t(lang, "report.title", code=report.code)
        )
    # No initial comment: that would be a message of its own, whose ts Slack gives only later
    # (files are shared asynchronously), so the purge could not delete it. The thread's
    # summary says what the files are.
    response = await ctx.client.files_upload_v2(
        channel=ctx.channel_id,
        thread_ts=ctx.thread_ts,
        file_uploads=[{"content": content, "filename": f"{name}.{fmt}", "title": f"{name}.{fmt}"}],
    )
    file_id = uploaded_id(response)
    if fmt == "pdf":
        async with deps.db.session() as session:
            meeting = await meeting_by_id(session, meeting_id=meeting_id)
            await audit.record(
                session,
                actor=str(ctx.payload.get("by") or "?"),
                action="report_published",
                case_id=meeting.case_id if meeting else None,
                meeting_id=meeting_id,
            )
    return Rendered(file_id=file_id)
