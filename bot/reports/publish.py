"""Upload the report to the meeting thread as Markdown and PDF (file upload v2)."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.reports.gather import gather_report
from bot.reports.markdown import render_markdown
from storage import audit
from storage.meetings import meeting_by_id


async def publish_report(
    deps: Deps, client: AsyncWebClient, *, meeting_id: int, actor: str
) -> None:
    lang = deps.settings.language  # the report lands in the case channel: everyone reads it
    report = await gather_report(deps, client, meeting_id=meeting_id, lang=lang)
    markdown = render_markdown(lang, report)
    # fpdf (with PIL, numpy and fontTools) is imported on the first report, not at start:
    # it costs ~50 MB of resident memory and a second of start-up the bot mostly never needs.
    from bot.reports.pdf import render_pdf

    # Laying out pages is CPU work: keep it off the event loop so other clicks are answered.
    pdf = await asyncio.to_thread(
        render_pdf, markdown, title=t(lang, "report.title", code=report.code)
    )
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        if meeting is None or not meeting.channel_id:
            raise LookupError(f"meeting {meeting_id} has no channel to publish in")
        await audit.record(
            session,
            actor=actor,
            action="report_published",
            case_id=meeting.case_id,
            meeting_id=meeting_id,
        )
    name = f"verslag-{report.code}-{meeting_id}"
    await client.files_upload_v2(
        channel=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        initial_comment=t(lang, "report.uploaded", code=report.code),
        file_uploads=[
            {"content": markdown.encode(), "filename": f"{name}.md", "title": f"{name}.md"},
            {"content": pdf, "filename": f"{name}.pdf", "title": f"{name}.pdf"},
        ],
    )
