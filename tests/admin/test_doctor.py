"""`python -m bot doctor` against the sandbox over HTTP and a real database (SQLite and
PostgreSQL): all ✓ on a healthy install, and ✗ with what to do for each way an installation
breaks — a scope taken away, the bot removed from a case channel, an old key removed too early,
a reminder that failed."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.admin.doctor import Check, Doctor
from bot.admin.reminders import retry_reminders
from bot.config import Settings
from flows.schedule import ReminderKind
from sandbox import Sandbox, Workspace
from storage.crypto import KeyRing, active_key_ring, set_active_key_ring
from storage.db import Database
from storage.reminders import Reminder, ReminderStatus, schedule_reminder
from storage.types import utcnow
from tests.admin.conftest import SECRET_REPLY, SECRET_VIEW, seed_case

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
CODE = "ZVH-2026-014"


@dataclass
class Install:
    sb: Sandbox
    db: Database
    env: dict[str, str]
    make_settings: Callable[..., Settings]

    def settings(self, **changes: str) -> Settings:
        return self.make_settings(**{**self.env, **changes})

    async def doctor(self, **changes: str) -> dict[str, Check]:
        checks = await Doctor(self.settings(**changes)).run()
        lines = "\n".join(c.line() for c in checks)
        assert SECRET_REPLY not in lines and SECRET_VIEW not in lines
        assert self.env["SLACK_BOT_TOKEN"] not in lines
        assert self.env["CASUSBOT_ENCRYPTION_KEYS"] not in lines
        return {c.name: c for c in checks}


@pytest.fixture
async def install(
    db: Database, database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> AsyncIterator[Install]:
    """A healthy installation: the app installed from manifest.yml, in the channel of an open
    case whose free text is encrypted with the configured key."""
    key = Fernet.generate_key().decode()
    previous = active_key_ring()
    set_active_key_ring(KeyRing([key]))
    try:
        await seed_case(db, code=CODE)
        async with Sandbox(Workspace.demo()) as sb:
            app = sb.install_app(join=["casus-demo"], manifest=MANIFEST, events=())
            env = {
                **database_env,
                "CASUSBOT_ENV": "production",
                "CASUSBOT_ENCRYPTION_KEYS": key,
                "SLACK_BOT_TOKEN": app.bot_token,
                "SLACK_APP_TOKEN": app.app_token,
                "SLACK_API_URL": sb.api_url,
            }
            yield Install(sb, db, env, make_settings)
    finally:
        set_active_key_ring(previous)


def failed(checks: dict[str, Check]) -> list[str]:
    return [name for name, check in checks.items() if not check.ok]


async def test_a_healthy_installation_is_all_green(install: Install) -> None:
    checks = await install.doctor()

    assert failed(checks) == []
    expected = {
        "settings",
        "Slack settings",
        "question catalogue",
        "encryption keys",
        "database",
        "Slack",
        "Socket Mode",
        "scopes",
        "encrypted data",
        "case channels",
        "reminders",
        "Slack messages",
        "canvases",
        "retention",
    }
    assert set(checks) == expected
    assert "migrations current" in checks["database"].found
    assert "needs key 1 of 1" in checks["encrypted data"].found
    assert "all 1 open case(s)" in checks["case channels"].found
    assert "not used yet" in checks["canvases"].found
    # Looking changed nothing in Slack.
    assert not [c for c in install.sb.api_calls if c.method.split(".")[-1] in ("create", "add")]


async def test_a_missing_scope_says_to_reinstall_from_the_manifest(install: Install) -> None:
    install.sb.revoke_scopes("pins:write", "canvases:write")

    checks = await install.doctor()

    assert failed(checks) == ["scopes", "canvases"]
    assert "missing canvases:write, pins:write" in checks["scopes"].found
    assert "reinstall the app from manifest.yml" in checks["scopes"].fix


async def test_the_bot_removed_from_a_case_channel_says_where_to_invite_it(
    install: Install,
) -> None:
    install.sb.kick("casus-demo", install.sb.app.bot_user_id)

    checks = await install.doctor()

    assert failed(checks) == ["case channels"]
    line = checks["case channels"].line()
    assert line.startswith("✗") and CODE in line and "C0CASUSDEMO" in line
    assert "/invite @Casusbot" in line


async def test_a_removed_old_key_is_named_with_the_way_back(install: Install) -> None:
    newer = Fernet.generate_key().decode()

    # The new key first and the old one kept: readable, and the oldest needs the old key.
    checks = await install.doctor(
        CASUSBOT_ENCRYPTION_KEYS=f"{newer},{install.env['CASUSBOT_ENCRYPTION_KEYS']}"
    )
    assert failed(checks) == []
    assert "needs key 2 of 2" in checks["encrypted data"].found

    # The old key removed before rotate-keys ran: its rows cannot be read.
    checks = await install.doctor(CASUSBOT_ENCRYPTION_KEYS=newer)
    assert failed(checks) == ["encrypted data"]
    check = checks["encrypted data"]
    assert "no configured key can decrypt" in check.found and "contribution.text" in check.found
    assert "restore the old key in CASUSBOT_ENCRYPTION_KEYS" in check.fix
    assert "rotate-keys" in check.fix and "then remove it" in check.fix


@pytest.mark.parametrize("dismiss", [False, True])
async def test_a_failed_reminder_says_what_to_do_and_clears_once_handled(
    install: Install, dismiss: bool
) -> None:
    async with install.db.session() as session:
        reminder_id = await schedule_reminder(
            session,
            kind=ReminderKind.BODEMEIS_CHECK,
            due_at=utcnow() - timedelta(hours=1),
            dedupe_key="test:failed",
            user_id="U0KARIM",
        )
        reminder = await session.get(Reminder, reminder_id)
        assert reminder is not None
        reminder.status, reminder.last_error = ReminderStatus.FAILED, "missing_scope"
        session.add(reminder)

    checks = await install.doctor()

    assert failed(checks) == ["reminders"]
    check = checks["reminders"]
    assert "1 failed (bodemeis_check missing_scope ×1)" in check.found
    assert "reinstall the app from manifest.yml" in check.fix
    assert "python -m bot retry-reminders" in check.fix

    assert await retry_reminders(install.settings(), dismiss=dismiss) == 1
    checks = await install.doctor()
    assert failed(checks) == []
    assert ("0 due" if dismiss else "1 due") in checks["reminders"].found
    async with install.db.session() as session:
        reminder = await session.get(Reminder, reminder_id)
    assert reminder is not None
    expected = ReminderStatus.CANCELLED if dismiss else ReminderStatus.PENDING
    assert (reminder.status, reminder.attempts) == (expected, 0)


async def test_a_channel_canvas_shows_canvases_in_use(install: Install) -> None:
    client_token = install.env["SLACK_BOT_TOKEN"]
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=client_token, base_url=install.sb.api_url)
    await client.conversations_canvases_create(
        channel_id="C0CASUSDEMO", document_content={"type": "markdown", "markdown": "# Plan"}
    )

    checks = await install.doctor()

    assert (
        checks["canvases"].ok
        and "1 case channel(s) have a channel canvas" in checks["canvases"].found
    )


async def test_settings_that_do_not_load_are_a_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.admin.doctor import doctor_command

    code = doctor_command({"CASUSBOT_DATA_DIR": str(tmp_path), "CASUSBOT_RETENTION_DAYS": "soon"})

    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("✗ settings: CASUSBOT_RETENTION_DAYS")


async def test_python_m_bot_doctor_runs_against_the_sandbox(
    install: Install, tmp_path: Path
) -> None:
    """The command itself, as an admin runs it with the sandbox's settings: exit 0 when all is
    well, 1 with a ✗ line when something blocks."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CASUSBOT_"))},
        **install.env,
        "CASUSBOT_DATA_DIR": str(tmp_path / "data"),
    }

    async def doctor() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "doctor",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    code, out = await doctor()
    assert code == 0, out
    assert "✗" not in out and out.count("✓") == 14

    install.sb.kick("casus-demo", install.sb.app.bot_user_id)
    code, out = await doctor()
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("✗")]
    assert line.startswith("✗ case channels:") and "/invite @Casusbot" in line


async def test_a_pinned_veiligheidsplan_says_canvases_are_not_available(install: Install) -> None:
    from storage.slack_objects import want

    async with install.db.session() as session:
        await want(
            session,
            key="case:1:veiligheidsplan",
            kind="case.veiligheidsplan",
            case_id=None,
            channel_id="C0CASUSDEMO",
            payload={"case": 1, "pinned": True},
            now=utcnow(),
        )

    checks = await install.doctor()

    assert checks["canvases"].ok and "pinned message instead" in checks["canvases"].found
