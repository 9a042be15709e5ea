"""`python -m bot export --case CODE [--out DIR]`: the case file as JSON and Markdown.

The files hold special-category personal data: they are created owner-only (0600) in an
owner-only directory, never overwrite anything, and the export itself is audited. The terminal
shows where they are and how many rows they hold, never their content.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin import AdminError, admin_database, cli_actor, printable
from bot.config import Settings
from flows.catalogue import load_catalogue
from flows.errors import CatalogueError
from flows.model import Catalogue
from flows.personal_data import normalise_case_code
from flows.text import Text
from flows.veiligheidsplan import render as render_plan
from storage import audit
from storage.cases import case_by_code
from storage.export import Row, case_rows
from storage.models import row_id
from storage.types import utcnow
from storage.veiligheidsplan import gather_plan

FORMAT = "casusbot-case-file/1"
EXPORT_ACTION = "case_exported"
# Rendered in their own sections; every other table of the case is listed generically.
_SHAPED = ("case", "participant", "meeting", "meeting_invitee", "contribution")
_VOTES = ("scale_round", "vote", "involved_view", "outcome_informed")
_LOG = "audit_event"

ROLE_NL = {
    "procesregisseur": "Procesregisseur",
    "casusregisseur": "Casusregisseur",
    "deelnemer": "Deelnemer",
    "gast": "Gast",
}
STATUS_NL = {
    "open": "open",
    "closed": "gesloten",
    "planned": "gepland",
    "running": "bezig",
    "ended": "afgerond",
    "cancelled": "geannuleerd",
}


@dataclass(frozen=True, slots=True)
class Exported:
    json_path: Path
    markdown_path: Path
    rows: int


async def export_case(settings: Settings, *, code: str, out: Path | None = None) -> Exported:
    code = normalise_case_code(code)
    try:
        catalogue = load_catalogue(settings.maatwerk_file)
    except CatalogueError as error:
        raise AdminError(f"CASUSBOT_MAATWERK_FILE: {error}") from None
    directory = out if out is not None else settings.data_dir / "exports"
    async with admin_database(settings) as db:
        async with db.session() as session:
            case = await case_by_code(session, code=code)
            if case is None:
                raise AdminError(f"no case with code {printable(code)}")
            rows = await case_rows(session, case_id=row_id(case))
            now = utcnow()
            plan = await gather_plan(
                session,
                case_id=row_id(case),
                now=now,
                tz=settings.timezone,
                emergency_text=settings.emergency_text,
            )
        document = case_document(rows, catalogue, exported_at=now, zone=settings.timezone)
        # The veiligheidsplan as the case channel shows it (issue 16), rewritten from the rows.
        document["veiligheidsplan"] = render_plan(plan, "nl", settings.timezone)
        stamp = now.astimezone(settings.timezone).strftime("%Y%m%d-%H%M%S")
        base = f"{code}-{stamp}"
        _private_directory(directory)
        json_path = directory / f"{base}.json"
        markdown_path = directory / f"{base}.md"
        _write_private(json_path, json.dumps(document, ensure_ascii=False, indent=2, default=str))
        _write_private(markdown_path, case_markdown(document, catalogue, settings.timezone))
        async with db.session() as session:
            await audit.record(
                session,
                actor=cli_actor(),
                action=EXPORT_ACTION,
                case_id=case.id,
                detail="json+markdown",
            )
    total = sum(len(r) for r in rows.values())
    print(f"Exported case {code}: {total} rows from {len(rows)} tables.")
    print(f"  {json_path}")
    print(f"  {markdown_path}")
    print("These files contain special-category personal data (owner-only, 0600).")
    return Exported(json_path, markdown_path, total)


def _private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise AdminError(f"cannot create {directory}: {error.strerror}") from None
    if not directory.is_dir():
        raise AdminError(f"{directory} is not a directory")


def _write_private(path: Path, content: str) -> None:
    # O_EXCL: never overwrite (or follow a planted symlink to) an existing file; fchmod
    # because the mode given to open() is only what the umask lets through.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise AdminError(f"{path} already exists; try again in a second") from None
    except OSError as error:
        raise AdminError(f"cannot write {path}: {error.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(content)


# ----- the document -----


def _texts(catalogue: Catalogue) -> dict[str, Text]:
    return dict(catalogue.texts())


def _bilingual(text: Text | None) -> dict[str, str] | None:
    return {"nl": text.nl, "en": text.en} if text is not None else None


def _decision_text(catalogue: Catalogue, phase: str, decision: str | None) -> Text | None:
    if not decision:
        return None
    option = catalogue.option(decision)
    return option.text if option else None


def case_document(
    rows: dict[str, list[Row]], catalogue: Catalogue, *, exported_at: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The case file as plain data: what the JSON holds and the Markdown shows."""
    texts = _texts(catalogue)
    invitees = _group(rows.get("meeting_invitee", []), "meeting_id")
    replies = _group(rows.get("contribution", []), "meeting_id")
    meetings = []
    for meeting in rows.get("meeting", []):
        by_question: dict[str, list[Row]] = {}
        for reply in replies.get(meeting["id"], []):
            by_question.setdefault(reply["step_key"], []).append(
                {
                    "user_id": reply["user_id"],
                    "text": reply["text"],
                    "created_at": reply["created_at"],
                    "edited_at": reply["edited_at"],
                    "deleted_at": reply["deleted_at"],
                }
            )
        meetings.append(
            {
                **{k: v for k, v in meeting.items() if k != "state"},  # the cursor is internal
                "invitees": [i["user_id"] for i in invitees.get(meeting["id"], [])],
                "decision_text": _bilingual(
                    _decision_text(catalogue, meeting["phase"], meeting.get("decision"))
                ),
                "questions": [
                    {"key": key, "text": _bilingual(texts.get(key)), "contributions": items}
                    for key, items in by_question.items()
                ],
            }
        )
    case = rows["case"][0]
    return {
        "format": FORMAT,
        "exported_at": exported_at,
        "timezone": zone.key,
        "case": case,
        "participants": rows.get("participant", []),
        "meetings": meetings,
        "tables": {name: items for name, items in rows.items() if name not in _SHAPED},
    }


def _group(items: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for item in items:
        grouped.setdefault(item.get(key), []).append(item)
    return grouped


# ----- Markdown -----

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#"})


def md(value: object) -> str:
    """User text as inert Markdown: special characters escaped, one line."""
    if value is None:
        return ""
    text = printable_lines(str(value)).translate(_MD_SPECIAL)
    return "<br>".join(text.splitlines())


def printable_lines(value: str) -> str:
    return "".join(c for c in value if c in "\n\t" or c.isprintable())


def _when(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%d-%m-%Y %H:%M")
    return "—" if value is None else str(value)


def _phase_title(catalogue: Catalogue, key: str) -> str:
    try:
        return catalogue.phase(key).title.nl
    except KeyError:
        return key


def case_markdown(document: dict[str, Any], catalogue: Catalogue, zone: ZoneInfo) -> str:
    case = document["case"]
    lines = [
        f"# Casusdossier {md(case['code'])}",
        "",
        f"Geëxporteerd op {_when(document['exported_at'], zone)} (tijden in {zone.key}).",
        "**Vertrouwelijk**: bevat bijzondere persoonsgegevens (AVG). Bewaar en deel het"
        " alleen volgens het privacyprotocol van het Zorg- en Veiligheidshuis.",
        "",
        "| Gegeven | Waarde |",
        "|---|---|",
        f"| Casuscode | {md(case['code'])} |",
        f"| Fase | {md(_phase_title(catalogue, case['phase']))} |",
        f"| Status | {STATUS_NL.get(case['status'], md(case['status']))} |",
        f"| Kanaal | {md(case['channel_id'])} |",
        f"| Aangemaakt | {_when(case['created_at'], zone)} door {md(case['created_by'])} |",
        f"| Gesloten | {_when(case['closed_at'], zone)} |",
        "",
        "## Deelnemers",
        "",
        "| Slack-gebruiker | Rol | Organisatie | Geheimhouding bevestigd | Toegevoegd |"
        " Verwijderd |",
        "|---|---|---|---|---|---|",
    ]
    for p in document["participants"]:
        lines.append(
            f"| {md(p['user_id'])} | {ROLE_NL.get(p['role'], md(p['role']))} |"
            f" {md(p['organisation'])} | {_when(p['confidentiality_confirmed_at'], zone)} |"
            f" {_when(p['added_at'], zone)} | {_when(p['removed_at'], zone)} |"
        )
    tables: dict[str, list[Row]] = document["tables"]
    rounds = _group(tables.get("scale_round", []), "meeting_id")
    votes = _group(tables.get("vote", []), "round_id")
    views = _group(tables.get("involved_view", []), "meeting_id")
    views.update({("informed", v["meeting_id"]): [v] for v in tables.get("outcome_informed", [])})
    for number, meeting in enumerate(document["meetings"], start=1):
        lines += _meeting_markdown(number, meeting, catalogue, zone, rounds, votes, views)
    if document.get("veiligheidsplan"):
        lines += ["", "## Veiligheidsplan", ""]
        lines += [
            f"##{line}" if line.startswith("#") else line
            for line in str(document["veiligheidsplan"]).splitlines()
        ]
    others = {k: v for k, v in tables.items() if k not in (*_VOTES, _LOG)}
    if others:
        lines += ["", "## Overige gegevens"]
        for name, items in others.items():
            lines += ["", f"### {md(name)} ({len(items)})", "", *_generic_table(items, zone)]
    lines += ["", "## Logboek (wie deed wat, zonder inhoud)", ""]
    lines += ["| Tijd | Wie | Actie | Overleg | Detail |", "|---|---|---|---|---|"]
    for event in tables.get(_LOG, []):
        lines.append(
            f"| {_when(event['at'], zone)} | {md(event['actor'])} | {md(event['action'])} |"
            f" {md(event['meeting_id'])} | {md(event['detail'])} |"
        )
    return "\n".join(lines) + "\n"


def _meeting_markdown(
    number: int,
    meeting: Row,
    catalogue: Catalogue,
    zone: ZoneInfo,
    rounds: dict[Any, list[Row]],
    votes: dict[Any, list[Row]],
    views: dict[Any, list[Row]],
) -> list[str]:
    lines = [
        "",
        f"## Overleg {number}: {md(_phase_title(catalogue, meeting['phase']))}"
        f" ({STATUS_NL.get(meeting['status'], md(meeting['status']))})",
        "",
        f"- Gepland: {_when(meeting['scheduled_at'], zone)} door {md(meeting['planned_by'])}",
        f"- Gestart: {_when(meeting['started_at'], zone)}",
        f"- Afgerond: {_when(meeting['ended_at'], zone)}",
        f"- Genodigden: {', '.join(md(u) for u in meeting['invitees']) or '—'}",
    ]
    if meeting.get("decision"):
        text = meeting["decision_text"]["nl"] if meeting["decision_text"] else meeting["decision"]
        lines.append(
            f"- Besluit: {md(text)} (door {md(meeting['decided_by'])},"
            f" {_when(meeting['decided_at'], zone)})"
        )
    for scale_round in rounds.get(meeting["id"], []):
        scores = ", ".join(
            f"{md(v['user_id'])}: {v['value']}" for v in votes.get(scale_round["id"], [])
        )
        lines.append(
            f"- Schaalvraag ronde {scale_round['number']}"
            f" (gesloten {_when(scale_round['closed_at'], zone)}): {scores or 'geen scores'}"
        )
    for view in views.get(meeting["id"], []):
        score = f" {view['score']}" if view["score"] is not None else ""
        lines.append(
            f"- Visie van betrokkenen, {md(view['role'])}:{score} — {md(view['text'] or '')}"
        )
    for informed in views.get(("informed", meeting["id"]), []):
        lines.append(
            f"- Betrokkenen geïnformeerd over de uitkomst: {md(informed['answer'])}"
            f" — {md(informed['reason'] or '')}"
        )
    for question in meeting["questions"]:
        title = question["text"]["nl"] if question["text"] else question["key"]
        lines += ["", f"### {md(title)}", ""]
        for reply in question["contributions"]:
            if reply["deleted_at"] is not None:
                lines.append(
                    f"- {md(reply['user_id'])} ({_when(reply['created_at'], zone)}):"
                    " *verwijderd in Slack*"
                )
                continue
            edited = " (bewerkt)" if reply["edited_at"] else ""
            lines.append(
                f"- {md(reply['user_id'])} ({_when(reply['created_at'], zone)}){edited}:"
                f" {md(reply['text'])}"
            )
    return lines


def _generic_table(items: list[Row], zone: ZoneInfo) -> list[str]:
    columns = list(items[0])
    lines = [
        "| " + " | ".join(md(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for item in items:
        cells = [
            _when(item[c], zone) if isinstance(item[c], datetime) else md(item[c]) for c in columns
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
