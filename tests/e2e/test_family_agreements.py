"""The agreements for the family (issue 16, point 9) through the sandbox: the casusregisseur gets
a plain-language version of the current agreements as Markdown and PDF in a DM, generated from
the database, in Dutch or English; audited; the files recorded so the purge deletes them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.config import DEFAULT_EMERGENCY_TEXT
from storage.models import AuditEvent, SlackObject
from tests.e2e.agreement_steps import in_days, open_form, submit, walk_to
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import register_case, start_meeting
from tests.e2e.test_veiligheidsplan import case_of, purge


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF's layout is tested with the report; here its content is the Markdown's."""
    monkeypatch.setattr(
        "bot.reports.pdf.render_pdf", lambda markdown, *, title: f"%PDF {markdown}".encode()
    )


def dm_files(h: Harness, who: str) -> list[tuple[str, bytes]]:
    return [
        (h.sb.file(info["id"]).name, h.sb.file(info["id"]).content or b"")
        for message in h.sb.user(who).dms()
        for info in message.get("files") or []
    ]


async def agreements_made(h: Harness) -> None:
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    fields = {
        "agreement_text": "Huisbezoek bij moeder",
        "owner_user": "sanne",
        "due_date": in_days(7).isoformat(),
        "priority": "normaal",
    }
    assert await submit(h, "petra", fields) is None
    assert await open_form(h, "petra", "agreement_bodemeis_open", question) is not None
    bodemeis = {"agreement_text": "Vader komt niet in de woning", "monitor": "ilse"}
    assert await submit(h, "petra", bodemeis) is None


async def test_the_casusregisseur_gets_markdown_and_pdf_in_a_dm_and_the_purge_deletes_them(
    harness: Harness,
) -> None:
    h = harness
    await agreements_made(h)
    # Only the casusregisseur makes it.
    await h.sb.user("petra").slash("/casus", "gezin", channel=CASE_CHANNEL)
    await h.settle()
    assert dm_files(h, "petra") == []
    await h.sb.user("karim").slash("/casus", "gezin", channel=CASE_CHANNEL)
    await h.settle()
    files = dm_files(h, "karim")
    assert sorted(name.rsplit(".", 1)[1] for name, _ in files) == ["md", "pdf"]
    markdown = next(content for name, content in files if name.endswith(".md")).decode()
    assert markdown.startswith("# Onze afspraken")
    assert "Huisbezoek bij moeder" in markdown and "Wijkteam Utrecht-Oost" in markdown
    assert "Vader komt niet in de woning" in markdown and "Politie Midden-Nederland" in markdown
    assert DEFAULT_EMERGENCY_TEXT in markdown
    # No professionals' names or Slack ids: organisations only.
    assert "Sanne" not in markdown and "U0SANNE" not in markdown and "Ilse" not in markdown
    pdf = next(content for name, content in files if name.endswith(".pdf"))
    assert b"Huisbezoek bij moeder" in pdf

    # In English too.
    await h.sb.user("karim").slash("/casus", "gezin en", channel=CASE_CHANNEL)
    await h.settle()
    english = [c for n, c in dm_files(h, "karim") if n.endswith(".md")][-1].decode()
    assert english.startswith("# Our agreements") and "Huisbezoek bij moeder" in english

    async with h.db.session() as session:
        made = (
            await session.exec(
                select(AuditEvent).where(AuditEvent.action == "family_agreements_made")
            )
        ).all()
        rows = (
            await session.exec(select(SlackObject).where(SlackObject.kind == "family.file"))
        ).all()
    assert [(e.actor, e.detail) for e in made] == [("U0KARIM", "nl"), ("U0KARIM", "en")]
    assert len(rows) == 4 and all(r.file_id for r in rows)

    case = await case_of(h)
    await purge(h, case)
    for row in rows:
        assert row.file_id not in h.sb.ws.files
