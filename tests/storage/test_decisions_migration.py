"""Migration 0014: meetings stored before the decisions sat at the guideline's questions read
on in the new terms — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable

from alembic import command
from sqlalchemy import text

from bot.config import Settings
from flows.catalogue import load_catalogue
from flows.meeting import MeetingState, current_step, decisions_taken, previous_step
from storage.db import make_engine
from storage.migrate import alembic_config, migrate

OLD = "{phase}.oordeelsvorming.uitkomst.{name}"


def _state(phase: str, status: str, cursor: int, decision: str | None) -> str:
    return json.dumps(
        {
            "format": 1,
            "phase": phase,
            "status": status,
            "cursor": cursor,
            "skipped": ["directe_veiligheid.vooraf.hulpverlening"] if cursor else [],
            "scale_round": 1,
            "scale_open": False,
            "decision": decision,
        }
    )


async def test_old_meetings_and_their_thread_rows_upgrade_to_decisions_at_their_questions(
    database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(**database_env)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    forward = OLD.format(phase="directe_veiligheid", name="door_naar_risicogestuurde_zorg")
    meetings = [
        # Ended after deciding "door naar risicogestuurde zorg", at the old Afspraken (13).
        (1, "directe_veiligheid", "ended", _state("directe_veiligheid", "ended", 13, forward)),
        # Running, at the old decision step (10) of risicogestuurde zorg, undecided.
        (2, "risicogestuurde_zorg", "running", _state("risicogestuurde_zorg", "running", 10, None)),
        # Herstel closed, at the old Afsluitingsplan (17).
        (
            3,
            "herstelgerichte_zorg",
            "running",
            _state(
                "herstelgerichte_zorg",
                "running",
                17,
                OLD.format(phase="herstelgerichte_zorg", name="afsluiten"),
            ),
        ),
    ]
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0011"))
            await connection.execute(
                text(
                    'INSERT INTO "case" (id, code, phase, status, channel_id, created_by,'
                    " created_at) VALUES (1, 'ZVH-1', 'risicogestuurde_zorg', 'open', 'G1', 'U1',"
                    " '2027-03-01 10:00:00+00'),"
                    " (2, 'ZVH-2', 'herstelgerichte_zorg', 'open', 'G2', 'U1',"
                    " '2027-03-01 10:00:00+00')"
                )
            )
            for meeting_id, phase, status, state in meetings:
                decision = json.loads(state)["decision"]
                await connection.execute(
                    text(
                        "INSERT INTO meeting (id, case_id, phase, status, planned_by, state,"
                        " version, decision) VALUES (:id, :case, :phase, :status, 'U1', :state,"
                        " 3, :decision)"
                    ),
                    {
                        "id": meeting_id,
                        # One running meeting per case (migration 0010): the herstel one in its own.
                        "case": 2 if meeting_id == 3 else 1,
                        "phase": phase,
                        "status": status,
                        "state": state,
                        "decision": decision,
                    },
                )
            rows = [
                ("meeting:1:v1:0", "meeting.question", {"meeting": 1, "step": 12}),
                (
                    "meeting:1:v2:0",
                    "meeting.decision",
                    {"meeting": 1, "option": "door_naar_risicogestuurde_zorg", "by": "U1"},
                ),
                ("meeting:2:v1:0", "meeting.question", {"meeting": 2, "step": 3}),
            ]
            for key, kind, payload in rows:
                await connection.execute(
                    text(
                        "INSERT INTO slack_object (key, kind, case_id, channel_id, lane, payload,"
                        " wanted, shown, attempts, next_try_at, created_at, updated_at) VALUES"
                        " (:key, :kind, 1, 'G1', 'meeting:1', :payload, 1, 1, 0,"
                        " '2027-03-01 10:00:00+00', '2027-03-01 10:00:00+00',"
                        " '2027-03-01 10:00:00+00')"
                    ),
                    {"key": key, "kind": kind, "payload": json.dumps(payload)},
                )
        await migrate(engine)
        async with engine.connect() as connection:
            stored = {
                row[0]: (MeetingState.from_dict(json.loads(row[1])), row[2])
                for row in await connection.execute(
                    text("SELECT id, state, decision FROM meeting ORDER BY id")
                )
            }
            payloads = {
                row[0]: json.loads(row[1])
                for row in await connection.execute(text("SELECT key, payload FROM slack_object"))
            }
    finally:
        await engine.dispose()

    catalogue = load_catalogue()
    ended, decision = stored[1]
    assert (
        decision
        == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos.door_naar_risicogestuurde_zorg"
    )
    assert ended.decisions == (decision,)
    assert [d.target for d in decisions_taken(catalogue, ended)] == ["risicogestuurde_zorg"]
    assert ended.skipped == ("directe_veiligheid.vooraf.hulpverlening",)
    assert ended.scales == ("directe_veiligheid.schaalvraag.bezorgdheid",)

    running, decision = stored[2]
    assert decision is None
    here = current_step(catalogue, running)
    # Waiting at the last decision question of the Oordeelsvorming; those before went on below.
    assert here is not None and here.key == "risicogestuurde_zorg.oordeelsvorming.zorgen_of_herstel"
    assert [d.name for d in decisions_taken(catalogue, running)] == [
        "geen_zorgen",
        "geen_nieuwe_zorgen",
    ]

    closing, _ = stored[3]
    here = current_step(catalogue, closing)
    assert here is not None and here.key == "herstelgerichte_zorg.afsluitingsplan.plan"
    assert decisions_taken(catalogue, closing)[-1].name == "afsluiten"
    # The state machine takes it as it stands: Vorige goes back to the Afspraken.
    back = current_step(catalogue, previous_step(catalogue, closing).state)
    assert back is not None and back.section.name == "afspraken"

    assert payloads["meeting:1:v1:0"] == {"meeting": 1, "phase": "directe_veiligheid", "step": 11}
    assert (
        payloads["meeting:1:v2:0"]["question"]
        == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos"
    )
    assert payloads["meeting:2:v1:0"] == {"meeting": 2, "phase": "risicogestuurde_zorg", "step": 3}
