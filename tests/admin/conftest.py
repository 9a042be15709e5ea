"""Admin commands as an admin runs them: `python -m bot <command>` against a real database
(SQLite and PostgreSQL), with a case that has participants, a meeting, minutes and votes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot import cli
from bot.config import Settings
from flows.catalogue import load_catalogue
from flows.scale import action_ts_key
from flows.steps import StepKind, phase_steps
from storage import audit
from storage.cases import close_case, create_case
from storage.contributions import add_contribution
from storage.crypto import KeyRing, active_key_ring, set_active_key_ring
from storage.db import Database, make_engine
from storage.involved import record_views
from storage.meetings import plan_meeting
from storage.migrate import migrate
from storage.models import Role
from storage.types import utcnow
from storage.votes import cast_vote, close_round, open_round

PHASE = "directe_veiligheid"
SECRET_REPLY = "Moeder en twee kinderen; vader woont elders sinds maart."
SECRET_VIEW = "Moeder wil vooral rust voor de kinderen."
VOTES = (("U0SANNE", 6, "1700000001.000001"), ("U0KARIM", 4, "1700000002.000001"))


def first_question() -> tuple[str, str]:
    """(key, Dutch text) of the first question of the phase: minutes are stored against it."""
    step = next(
        s for s in phase_steps(load_catalogue().phase(PHASE)) if s.kind is StepKind.QUESTION
    )
    return step.key, step.text.nl


@dataclass
class Admin:
    """Runs the CLI in this test's environment and keeps what it printed."""

    settings: Settings
    env: dict[str, str]
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def set_env(self, name: str, value: str) -> None:
        self.env[name] = value
        self.monkeypatch.setenv(name, value)

    def run(self, *argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def db_call(self, work: Callable[[Database], Coroutine[Any, Any, Any]]) -> Any:
        """Run `work` against the database in a short event loop of its own (tests are sync,
        because the CLI runs its own loop with asyncio.run)."""

        async def go() -> Any:
            db = Database(
                make_engine(self.settings.database_url, schema=self.settings.database_schema)
            )
            try:
                await migrate(db.engine)
                return await work(db)
            finally:
                await db.dispose()

        return asyncio.run(go())


@pytest.fixture
def admin(
    database_env: dict[str, str],
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    encryption_key: KeyRing,
) -> Iterator[Admin]:
    key = Fernet.generate_key().decode()
    env = {
        **database_env,
        "CASUSBOT_DATA_DIR": str(tmp_path / "data"),
        "CASUSBOT_ENV": "production",
        "CASUSBOT_ENCRYPTION_KEYS": key,
        "CASUSBOT_RETENTION_DAYS": "30",
    }
    monkeypatch.chdir(tmp_path)  # no stray .env from the working copy
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    previous = active_key_ring()
    set_active_key_ring(KeyRing([key]))
    try:
        yield Admin(make_settings(**env), env, capsys, monkeypatch)
    finally:
        set_active_key_ring(previous)


@dataclass(frozen=True)
class Seeded:
    case_id: int
    meeting_id: int
    code: str


async def seed_case(
    db: Database, *, code: str = "ZVH-2026-014", closed_days_ago: int | None = None
) -> Seeded:
    """A case as a meeting leaves it: participants, a planned meeting, minutes, a vote round,
    the family's view and audit lines; closed `closed_days_ago` days ago when given."""
    key, _ = first_question()
    async with db.session() as session:
        case = await create_case(
            session,
            code=code,
            phase=PHASE,
            channel_id="C0CASUSDEMO",
            created_by="U0PETRA",
            members=[
                ("U0PETRA", Role.PROCESREGISSEUR, "ZVH Midden-Nederland"),
                ("U0KARIM", Role.CASUSREGISSEUR, "Veilig Thuis"),
                ("U0SANNE", Role.DEELNEMER, "Wijkteam"),
            ],
        )
        assert case.id is not None
        await audit.record(session, actor="U0PETRA", action="case_created", case_id=case.id)
        meeting = await plan_meeting(
            session,
            case_id=case.id,
            phase=PHASE,
            scheduled_at=utcnow(),
            planned_by="U0PETRA",
            invitees=["U0PETRA", "U0KARIM", "U0SANNE"],
            state="{}",
        )
        assert meeting.id is not None
        meeting.thread_ts, meeting.channel_id = "1700000000.000100", "C0CASUSDEMO"
        meeting.decision = f"{PHASE}.oordeelsvorming.zorgen_of_risicos.nog_zorgen"
        await audit.record(
            session,
            actor="U0PETRA",
            action="meeting_started",
            case_id=case.id,
            meeting_id=meeting.id,
        )
        await add_contribution(
            session,
            meeting_id=meeting.id,
            step_key=key,
            user_id="U0SANNE",
            message_ts="1700000000.000200",
            text=SECRET_REPLY,
        )
        await open_round(
            session, meeting_id=meeting.id, number=1, step_key=f"{PHASE}.x", opened_by="U0PETRA"
        )
        for user, value, at in VOTES:
            stamp = action_ts_key(at)
            assert stamp is not None
            await cast_vote(
                session,
                meeting_id=meeting.id,
                round_number=1,
                user_id=user,
                value=value,
                action_ts=stamp,
            )
        await close_round(session, meeting_id=meeting.id, number=1, closed_by="U0PETRA")
        await record_views(
            session,
            meeting_id=meeting.id,
            step_key=f"{PHASE}.x",
            views={"slachtoffer": (5, SECRET_VIEW)},
            by="U0KARIM",
        )
        if closed_days_ago is not None:
            await close_case(session, case=case, actor="U0PETRA")
            case.closed_at = utcnow() - timedelta(days=closed_days_ago)
            session.add(case)
        return Seeded(case.id, meeting.id, code)


async def case_exists(db: Database, code: str) -> bool:
    from storage.cases import case_by_code

    async with db.session() as session:
        return await case_by_code(session, code=code) is not None
