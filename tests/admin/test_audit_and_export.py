"""`python -m bot audit` and `python -m bot export`: who did what (never content), and the
case file an admin hands over on request — complete, owner-only, and itself audited."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from storage.audit import events_for_case
from storage.db import Database
from tests.admin.conftest import SECRET_REPLY, SECRET_VIEW, Admin, first_question, seed_case


def test_audit_shows_who_did_what_in_local_time_without_content(admin: Admin) -> None:
    admin.db_call(lambda db: seed_case(db, closed_days_ago=1))
    code, out, err = admin.run("audit", "--case", "zvh-2026-014")  # as typed by a person
    assert code == 0, err
    assert "times in Europe/Amsterdam" in out
    lines = out.splitlines()[1:]
    assert [line.split()[3:5] for line in lines] == [
        ["U0PETRA", "case_created"],
        ["U0PETRA", "meeting_started"],
        ["U0PETRA", "case_closed"],  # closing starts the retention clock
    ]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T ", lines[0])
    assert "meeting=" in lines[1]
    assert SECRET_REPLY not in out and SECRET_VIEW not in out


def test_audit_of_an_unknown_case_says_so_in_one_line(admin: Admin) -> None:
    code, out, err = admin.run("audit", "--case", "ZVH-0000-000")
    assert code == 2 and out == ""
    assert err == "casusbot: no case with code ZVH-0000-000\n"


def test_export_writes_the_whole_case_file_owner_only_and_audits_it(admin: Admin) -> None:
    seeded = admin.db_call(lambda db: seed_case(db))
    out_dir = Path(admin.env["CASUSBOT_DATA_DIR"]) / "handover"
    code, out, err = admin.run("export", "--case", seeded.code, "--out", str(out_dir))
    assert code == 0, err
    assert SECRET_REPLY not in out  # the terminal shows where, not what
    files = sorted(out_dir.iterdir())
    assert [f.suffix for f in files] == [".json", ".md"]
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(out_dir.stat().st_mode) == 0o700

    document = json.loads(files[0].read_text(encoding="utf-8"))
    key, question = first_question()
    assert document["case"]["code"] == seeded.code
    assert {p["user_id"]: p["role"] for p in document["participants"]} == {
        "U0PETRA": "procesregisseur",
        "U0KARIM": "casusregisseur",
        "U0SANNE": "deelnemer",
    }
    assert "confidentiality_confirmed_at" in document["participants"][0]
    [meeting] = document["meetings"]
    assert meeting["invitees"] == ["U0PETRA", "U0KARIM", "U0SANNE"]
    [asked] = meeting["questions"]
    assert asked["key"] == key and asked["text"]["nl"] == question
    assert asked["contributions"][0]["text"] == SECRET_REPLY
    assert meeting["decision_text"]["nl"]  # the decision in the guideline's words
    # Tables the export does not know by name are there too (votes, the family's view).
    assert sorted(v["value"] for v in document["tables"]["vote"]) == [4, 6]
    assert document["tables"]["involved_view"][0]["text"] == SECRET_VIEW

    markdown = files[1].read_text(encoding="utf-8")
    assert f"# Casusdossier {seeded.code}" in markdown
    assert "## Deelnemers" in markdown and "Casusregisseur" in markdown
    assert f"### {question}" in markdown
    assert "Moeder en twee kinderen; vader woont elders sinds maart." in markdown
    assert "Schaalvraag ronde 1" in markdown and "U0SANNE: 6" in markdown

    async def audited(db: Database) -> list[str]:
        async with db.session() as session:
            return [e.action for e in await events_for_case(session, case_id=seeded.case_id)]

    assert admin.db_call(audited)[-1] == "case_exported"


def test_export_holds_the_veiligheidsplan_rewritten_from_the_rows(admin: Admin) -> None:
    """Issue 16: the case file carries the veiligheidsplan, with the emergency line."""
    seeded = admin.db_call(lambda db: seed_case(db))
    out_dir = Path(admin.env["CASUSBOT_DATA_DIR"]) / "plan"
    code, _, err = admin.run("export", "--case", seeded.code, "--out", str(out_dir))
    assert code == 0, err
    json_file, md_file = sorted(out_dir.iterdir())
    document = json.loads(json_file.read_text(encoding="utf-8"))
    assert document["veiligheidsplan"].startswith(f"# Veiligheidsplan {seeded.code}")
    markdown = md_file.read_text(encoding="utf-8")
    assert "## Veiligheidsplan" in markdown and f"### Veiligheidsplan {seeded.code}" in markdown
    assert "Bij acuut gevaar: 112" in markdown


def test_export_of_an_unknown_case_writes_nothing(admin: Admin, tmp_path: Path) -> None:
    code, _, err = admin.run("export", "--case", "ZVH-0000-000", "--out", str(tmp_path / "x"))
    assert code == 2 and err == "casusbot: no case with code ZVH-0000-000\n"
    assert not (tmp_path / "x").exists()


def test_markdown_cannot_be_hijacked_by_what_people_typed() -> None:
    from bot.admin.export import md

    assert md("| a | <script>\x1b[31m\n# kop") == "\\| a \\| \\<script\\>\\[31m<br>\\# kop"
