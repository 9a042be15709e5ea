"""Settings: defaults, and one clear line for every missing or malformed setting."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_dutch_amsterdam_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"CASUSBOT_DATA_DIR": str(tmp_path)})
    assert settings.language == "nl"
    assert settings.timezone.key == "Europe/Amsterdam"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'casusbot.sqlite3'}"
    assert settings.working_hours.days == frozenset(range(5))
    assert (settings.working_hours.start, settings.working_hours.end) == (time(8), time(18))
    assert not settings.socket_mode


def test_settings_are_immutable() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.language = "en"  # type: ignore[misc]


def test_plain_database_urls_get_the_async_driver() -> None:
    pg = load_settings({"DATABASE_URL": "postgres://u@db:5432/zvh"})
    assert pg.database_url == "postgresql+asyncpg://u@db:5432/zvh"
    assert not pg.is_sqlite


def test_api_url_gets_a_trailing_slash_for_govslack_or_the_sandbox() -> None:
    settings = load_settings({"SLACK_API_URL": "https://slack-gov.com/api"})
    assert settings.slack_api_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("CASUSBOT_TIMEZONE", "Mars/Olympus"),
        ("CASUSBOT_LANGUAGE", "fr"),
        ("CASUSBOT_WORKING_HOURS", "9 to 5"),
        ("CASUSBOT_WORKING_HOURS", "fri-mon 08:00-18:00"),
        ("CASUSBOT_WORKING_HOURS", "mon-fri 18:00-08:00"),
        ("CASUSBOT_PORT", "http"),
        ("CASUSBOT_PORT", "70000"),
        ("CASUSBOT_LOG_LEVEL", "chatty"),
        ("CASUSBOT_MAATWERK_FILE", "/nonexistent/regio.yaml"),
        ("CASUSBOT_DATABASE_SCHEMA", "Robert'); DROP TABLE case;--"),
        ("CASUSBOT_DB_CONNECT_TIMEOUT", "soon"),
        ("CASUSBOT_DB_CONNECT_TIMEOUT", "0"),
        ("CASUSBOT_DB_STATEMENT_TIMEOUT", "nan"),
        ("CASUSBOT_DB_STATEMENT_TIMEOUT", "-1"),
        ("CASUSBOT_DB_POOL_TIMEOUT", "1e9"),
        ("CASUSBOT_SHUTDOWN_SECONDS", "forever"),
        ("CASUSBOT_EMERGENCY_TEXT", "Bel 112\nof Veilig Thuis"),
        ("CASUSBOT_EMERGENCY_TEXT", "x" * 301),
        ("CASUSBOT_ESCALATION_PICKUP_HOURS", "0"),
        ("CASUSBOT_ESCALATION_PICKUP_HOURS", "vier"),
        ("CASUSBOT_AFTERCARE_MONTHS", "0"),
        ("CASUSBOT_NO_NEXT_MEETING_DAYS", "21"),
        ("CASUSBOT_MAX_MEETING_INTERVAL", "directe_veiligheid=14"),
        ("CASUSBOT_MAX_MEETING_INTERVAL", "crisis:3"),
        ("CASUSBOT_MAX_MEETING_INTERVAL", "directe_veiligheid:0"),
        ("CASUSBOT_MAX_MEETING_INTERVAL", "directe_veiligheid:"),
        ("CASUSBOT_SCORES_NAMED", "misschien"),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message


def test_database_waits_are_bounded_by_default_and_can_be_tuned() -> None:
    def waits(settings: Settings) -> tuple[float, ...]:
        return (
            settings.db_connect_timeout,
            settings.db_statement_timeout,
            settings.db_pool_timeout,
            settings.shutdown_seconds,
        )

    assert waits(load_settings({})) == (5.0, 10.0, 5.0, 25.0)
    tuned = {
        "CASUSBOT_DB_CONNECT_TIMEOUT": "2.5",
        "CASUSBOT_DB_STATEMENT_TIMEOUT": "30",
        "CASUSBOT_DB_POOL_TIMEOUT": "1",
        "CASUSBOT_SHUTDOWN_SECONDS": "60",
    }
    assert waits(load_settings(tuned)) == (2.5, 30.0, 1.0, 60.0)


def test_the_case_between_meetings_has_safe_defaults_and_can_be_tuned() -> None:
    settings = load_settings({})
    assert settings.emergency_text == "Bij acuut gevaar: 112. Veilig Thuis: 0800-2000."
    assert (
        settings.escalation_pickup_hours,
        settings.aftercare_months,
        settings.no_next_meeting_days,
    ) == (4, 3, 2)
    assert dict(settings.max_meeting_interval) == {
        "directe_veiligheid": 14,
        "risicogestuurde_zorg": 42,
        "herstelgerichte_zorg": 91,
    }
    tuned = load_settings(
        {
            "CASUSBOT_EMERGENCY_TEXT": "Bij acuut gevaar: 112. Crisisdienst: 088-0000000.",
            "CASUSBOT_ESCALATION_PICKUP_HOURS": "2",
            "CASUSBOT_AFTERCARE_MONTHS": "6",
            "CASUSBOT_NO_NEXT_MEETING_DAYS": "5",
            # One phase tuned; the others keep their default.
            "CASUSBOT_MAX_MEETING_INTERVAL": " directe_veiligheid : 10 ",
        }
    )
    assert tuned.emergency_text.endswith("088-0000000.")
    assert (tuned.escalation_pickup_hours, tuned.aftercare_months) == (2, 6)
    assert tuned.no_next_meeting_days == 5
    assert dict(tuned.max_meeting_interval) == {
        "directe_veiligheid": 10,
        "risicogestuurde_zorg": 42,
        "herstelgerichte_zorg": 91,
    }


def test_scores_are_shown_without_names_unless_the_setting_says_so() -> None:
    assert load_settings({}).scores_named is False
    assert load_settings({"CASUSBOT_SCORES_NAMED": "true"}).scores_named is True
    assert load_settings({"CASUSBOT_SCORES_NAMED": "nee"}).scores_named is False


def test_missing_slack_token_says_how_to_connect_and_how_to_try_the_sandbox() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}).require_slack()
    assert "manifest.yml" in str(caught.value)
    assert "python -m bot sandbox" in str(caught.value)


def test_http_mode_needs_the_signing_secret_socket_mode_does_not() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack()
    load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack()


def test_env_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CASUSBOT_LANGUAGE=en\nCASUSBOT_PORT=4000\n")
    monkeypatch.setenv("CASUSBOT_PORT", "5000")
    settings = load_settings(env_file=env_file)
    assert settings.language == "en"
    assert settings.port == 5000


def _run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_python_m_bot_without_slack_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    result = _run_bot(env={"CASUSBOT_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SLACK_BOT_TOKEN" in result.stderr and "python -m bot sandbox" in result.stderr


def test_python_m_bot_with_a_bad_setting_exits_2_naming_it(tmp_path: Path) -> None:
    result = _run_bot(env={"CASUSBOT_TIMEZONE": "Nowhere/Land"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CASUSBOT_TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_exits_2_without_traceback(tmp_path: Path) -> None:
    result = _run_bot(
        "migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    names = set(re.findall(r'"((?:CASUSBOT|SLACK)_[A-Z_]+)"', (REPO / "bot/config.py").read_text()))
    assert {"CASUSBOT_DB_STATEMENT_TIMEOUT", "CASUSBOT_SHUTDOWN_SECONDS"} <= names
    env_example = (REPO / ".env.example").read_text()
    readme = (REPO / "README.md").read_text()
    assert sorted(n for n in names if f"\n{n}=" not in env_example) == []
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
