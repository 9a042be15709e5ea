"""decisions at their questions: stored meetings in the new state format (a data migration)

The guideline's decision points moved from one invented step after the Oordeelsvorming to the
questions where the guideline puts them (flows/upgrade.py). Every stored meeting state of
format 1 is rewritten to format 2, the meeting's `decision` column to the new branch key, and the
thread's question and decision notes (outbox rows) to the new step numbers, so a redraw shows
the same questions. Steps are counted with the catalogue the bot runs with: the shipped one, with
the region's maatwerk file when CASUSBOT_MAATWERK_FILE names one. No schema change.

Revision ID: 0014
Revises: 0011 (assigned 0009; chained after main's head)
"""

import json
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from flows.catalogue import load_catalogue
from flows.upgrade import new_decision_key, new_step_index, upgrade_state

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    maatwerk = os.environ.get("CASUSBOT_MAATWERK_FILE")
    catalogue = load_catalogue(Path(maatwerk) if maatwerk and Path(maatwerk).is_file() else None)
    connection = op.get_bind()
    meetings = connection.execute(
        sa.text("SELECT id, phase, state, decision FROM meeting")
    ).fetchall()
    old: dict[int, tuple[str, str | None]] = {}  # meeting id → (phase, new decision key)
    for meeting_id, phase, state, decision in meetings:
        try:
            data = json.loads(state or "{}")
        except ValueError:
            continue
        if data.get("format") != 1 or phase not in catalogue.phase_keys:
            continue
        new = upgrade_state(catalogue, data)
        key = new_decision_key(phase, decision or data.get("decision"))
        old[meeting_id] = (phase, key)
        connection.execute(
            sa.text("UPDATE meeting SET state = :state, decision = :decision WHERE id = :id"),
            {"state": json.dumps(new), "decision": key, "id": meeting_id},
        )
    if not old:
        return
    rows = connection.execute(
        sa.text(
            "SELECT id, kind, payload FROM slack_object "
            "WHERE kind IN ('meeting.question', 'meeting.decision')"
        )
    ).fetchall()
    for row_id, kind, payload in rows:
        data = json.loads(payload or "{}")
        meeting = data.get("meeting")
        if meeting not in old or "phase" in data or "question" in data:
            continue
        phase, decision = old[meeting]
        if kind == "meeting.question":
            step = data.get("step")
            if isinstance(step, int):
                data.update(step=new_step_index(catalogue, phase, step, decision), phase=phase)
        else:
            key = new_decision_key(phase, data.get("option"))
            if key is not None:
                question, _, name = key.rpartition(".")
                data.update(question=question, option=name)
        connection.execute(
            sa.text("UPDATE slack_object SET payload = :payload WHERE id = :id"),
            {"payload": json.dumps(data, sort_keys=True, separators=(",", ":")), "id": row_id},
        )


def downgrade() -> None:
    # The old single decision step cannot hold several decisions; there is no way back.
    raise NotImplementedError("0014 cannot be undone")
