"""Settings: read once from the environment (and `.env`), validated, immutable.

A bad setting must stop start-up with one line that names it and says what to do, so every
parser here raises `SettingsError(name, advice)` instead of letting a ValueError escape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from flows.schedule import DEFAULT_MAX_MEETING_INTERVAL_DAYS

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_EMERGENCY_TEXT = "Bij acuut gevaar: 112. Veilig Thuis: 0800-2000."
# The emergency line is one line in every escalation and document: short enough to read at once.
MAX_EMERGENCY_CHARS = 300
LANGUAGES = ("nl", "en")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ENVIRONMENTS = ("production", "development")


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is the one line shown to the admin."""

    def __init__(self, name: str, advice: str) -> None:
        super().__init__(f"{name}: {advice}")
        self.name = name


@dataclass(frozen=True, slots=True)
class WorkingHours:
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: time
    end: time

    def __str__(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    database_schema: str | None
    data_dir: Path
    timezone: ZoneInfo
    language: str
    working_hours: WorkingHours
    log_level: str
    host: str
    port: int
    environment: str
    encryption_keys: str | None
    maatwerk_file: Path | None
    confidentiality_file: Path | None
    reminder_poll_seconds: float
    spread_threshold: int
    retention_days: int
    # Prep before a meeting (issue 7): working days before the meeting for the prep DM and the
    # one nudge, hours before it for the meeting reminder.
    prep_lead_days: int = 3
    prep_nudge_days: int = 1
    meeting_reminder_hours: int = 24
    # How long the running bot waits for its database (issue 17), in seconds: to connect, for
    # one statement, for a free pooled connection. And how long shutdown waits for running work.
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 10.0
    db_pool_timeout: float = 5.0
    shutdown_seconds: float = 25.0
    # The case between meetings (issue 16): the emergency line in the veiligheidsplan, every
    # escalation and the family's agreements; working hours before an escalation nobody picked
    # up goes to the regisseurs; months after closing that the casusregisseur is asked "gaat het
    # nog goed?"; working days after a meeting without a next one that the regisseurs are
    # reminded; the longest a case may go without a meeting, in days per phase.
    emergency_text: str = DEFAULT_EMERGENCY_TEXT
    escalation_pickup_hours: int = 4
    aftercare_months: int = 3
    no_next_meeting_days: int = 2
    max_meeting_interval: Mapping[str, int] = field(
        default_factory=lambda: DEFAULT_MAX_MEETING_INTERVAL_DAYS
    )
    # The outbox (DESIGN §2): how long a render holds its row before another replica (or the
    # next start) may take it over, and how often each process looks for rows to render.
    outbox_lease_seconds: float = 30.0
    outbox_poll_seconds: float = 2.0
    # Scores with names (issue 18): whether the reveal and the report name who gave which
    # score, or show only the distribution (and privately ask the lowest and highest scorers for
    # their onderbouwing). Off by default: a professional's score is personal data the method
    # does not need by name, and an anonymous reveal keeps scores independent.
    scores_named: bool = False

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_slack(self) -> None:
        """Raise when the credentials needed to talk to Slack are not all there."""
        if not self.slack_bot_token:
            raise SettingsError("SLACK_BOT_TOKEN", NO_SLACK_ADVICE)
        if not self.socket_mode and not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET",
                "is required in HTTP mode (copy it from Basic Information in your app's settings),"
                " or set SLACK_APP_TOKEN to use Socket Mode.",
            )


NO_SLACK_ADVICE = (
    "is not set, so Casusbot cannot connect to Slack. Create the app from manifest.yml"
    " (see README, 'Connect a Slack workspace'), put its tokens in .env, or try it without"
    " Slack: python -m bot sandbox"
)


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = None
) -> Settings:
    """Build settings from `environ` (default: os.environ over the values in `.env`)."""
    if environ is None:
        file_values = dotenv_values(env_file or Path(".env"))
        environ = {**{k: v for k, v in file_values.items() if v is not None}, **os.environ}
    env = {k: v.strip() for k, v in environ.items()}

    def get(name: str) -> str | None:
        value = env.get(name)
        return value or None

    def seconds(name: str, default: str, low: float, high: float) -> float:
        return _seconds(name, get(name) or default, low, high)

    data_dir = Path(get("CASUSBOT_DATA_DIR") or "data").expanduser()
    return Settings(
        slack_bot_token=_token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=_token(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-"),
        slack_api_url=_api_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
        database_url=_database_url(get("DATABASE_URL"), data_dir),
        database_schema=_schema(get("CASUSBOT_DATABASE_SCHEMA")),
        data_dir=data_dir,
        timezone=_timezone(get("CASUSBOT_TIMEZONE") or "Europe/Amsterdam"),
        language=_choice(
            "CASUSBOT_LANGUAGE", (get("CASUSBOT_LANGUAGE") or "nl").lower(), LANGUAGES
        ),
        working_hours=parse_working_hours(get("CASUSBOT_WORKING_HOURS") or "mon-fri 08:00-18:00"),
        log_level=_choice(
            "CASUSBOT_LOG_LEVEL", (get("CASUSBOT_LOG_LEVEL") or "INFO").upper(), LOG_LEVELS
        ),
        host=get("CASUSBOT_HOST") or "0.0.0.0",
        port=_int("CASUSBOT_PORT", get("CASUSBOT_PORT") or "3000", 1, 65535),
        environment=_choice(
            "CASUSBOT_ENV", (get("CASUSBOT_ENV") or "production").lower(), ENVIRONMENTS
        ),
        encryption_keys=get("CASUSBOT_ENCRYPTION_KEYS"),
        maatwerk_file=_existing_file("CASUSBOT_MAATWERK_FILE", get("CASUSBOT_MAATWERK_FILE")),
        confidentiality_file=_existing_file(
            "CASUSBOT_CONFIDENTIALITY_FILE", get("CASUSBOT_CONFIDENTIALITY_FILE")
        ),
        reminder_poll_seconds=float(
            _int(
                "CASUSBOT_REMINDER_POLL_SECONDS",
                get("CASUSBOT_REMINDER_POLL_SECONDS") or "30",
                1,
                3600,
            )
        ),
        spread_threshold=_int(
            "CASUSBOT_SPREAD_THRESHOLD", get("CASUSBOT_SPREAD_THRESHOLD") or "3", 1, 9
        ),
        retention_days=_int(
            "CASUSBOT_RETENTION_DAYS", get("CASUSBOT_RETENTION_DAYS") or "365", 1, 36500
        ),
        db_connect_timeout=seconds("CASUSBOT_DB_CONNECT_TIMEOUT", "5", 0.5, 120),
        db_statement_timeout=seconds("CASUSBOT_DB_STATEMENT_TIMEOUT", "10", 0.5, 3600),
        db_pool_timeout=seconds("CASUSBOT_DB_POOL_TIMEOUT", "5", 0.5, 120),
        shutdown_seconds=seconds("CASUSBOT_SHUTDOWN_SECONDS", "25", 1, 3600),
        outbox_lease_seconds=seconds("CASUSBOT_OUTBOX_LEASE_SECONDS", "30", 2, 600),
        outbox_poll_seconds=seconds("CASUSBOT_OUTBOX_POLL_SECONDS", "2", 0.1, 60),
        **_prep_timing(get),
        emergency_text=_emergency_text(get("CASUSBOT_EMERGENCY_TEXT")),
        escalation_pickup_hours=_int(
            "CASUSBOT_ESCALATION_PICKUP_HOURS",
            get("CASUSBOT_ESCALATION_PICKUP_HOURS") or "4",
            1,
            40,
        ),
        aftercare_months=_int(
            "CASUSBOT_AFTERCARE_MONTHS", get("CASUSBOT_AFTERCARE_MONTHS") or "3", 1, 24
        ),
        no_next_meeting_days=_int(
            "CASUSBOT_NO_NEXT_MEETING_DAYS", get("CASUSBOT_NO_NEXT_MEETING_DAYS") or "2", 1, 20
        ),
        max_meeting_interval=parse_meeting_intervals(get("CASUSBOT_MAX_MEETING_INTERVAL") or ""),
        scores_named=_bool("CASUSBOT_SCORES_NAMED", get("CASUSBOT_SCORES_NAMED") or "false"),
    )


def _emergency_text(value: str | None) -> str:
    text = value or DEFAULT_EMERGENCY_TEXT
    if len(text) > MAX_EMERGENCY_CHARS or "\n" in text:
        raise SettingsError(
            "CASUSBOT_EMERGENCY_TEXT",
            f"must be one line of at most {MAX_EMERGENCY_CHARS} characters"
            " (who to call in an emergency).",
        )
    return text


def parse_meeting_intervals(value: str) -> Mapping[str, int]:
    """'directe_veiligheid:14,risicogestuurde_zorg:42' (days); phases left out keep their
    default."""
    name = "CASUSBOT_MAX_MEETING_INTERVAL"
    phases = ", ".join(DEFAULT_MAX_MEETING_INTERVAL_DAYS)
    found = dict(DEFAULT_MAX_MEETING_INTERVAL_DAYS)
    for part in filter(None, (p.strip() for p in value.split(","))):
        phase, _, days = (p.strip() for p in part.partition(":"))
        if phase not in DEFAULT_MAX_MEETING_INTERVAL_DAYS or not days:
            raise SettingsError(
                name, f"'{part}' should look like 'directe_veiligheid:14' (phases: {phases})."
            )
        found[phase] = _int(name, days, 1, 365)
    return MappingProxyType(found)


def _prep_timing(get: Callable[[str], str | None]) -> dict[str, int]:
    lead = _int("CASUSBOT_PREP_LEAD_DAYS", get("CASUSBOT_PREP_LEAD_DAYS") or "3", 1, 20)
    # 0 means no nudge; by default one working day before, when the lead time leaves room.
    default_nudge = "1" if lead > 1 else "0"
    nudge = _int(
        "CASUSBOT_PREP_NUDGE_DAYS", get("CASUSBOT_PREP_NUDGE_DAYS") or default_nudge, 0, 19
    )
    if nudge >= lead:
        # A nudge before (or with) the first DM would nag about something not yet asked.
        raise SettingsError(
            "CASUSBOT_PREP_NUDGE_DAYS",
            f"{nudge} must be fewer working days than CASUSBOT_PREP_LEAD_DAYS ({lead}),"
            " or 0 for no nudge.",
        )
    hours = _int(
        "CASUSBOT_MEETING_REMINDER_HOURS", get("CASUSBOT_MEETING_REMINDER_HOURS") or "24", 1, 168
    )
    return {"prep_lead_days": lead, "prep_nudge_days": nudge, "meeting_reminder_hours": hours}


def _token(value: str | None, name: str, prefix: str) -> str | None:
    if value is not None and not value.startswith(prefix):
        raise SettingsError(
            name, f"must start with '{prefix}'; check that you copied the right token."
        )
    return value


def _api_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise SettingsError(
            "SLACK_API_URL", "must be an http(s) URL such as https://slack.com/api/"
        )
    return value if value.endswith("/") else value + "/"


def _database_url(value: str | None, data_dir: Path) -> str:
    if value is None:
        return f"sqlite+aiosqlite:///{data_dir / 'casusbot.sqlite3'}"
    # Accept the plain scheme people copy from their hosting panel, use the async driver.
    for plain, asynchronous in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if value.startswith(plain):
            return asynchronous + value[len(plain) :]
    if value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
        return value
    raise SettingsError(
        "DATABASE_URL",
        "must be postgresql://user@host:5432/db or sqlite:///path/file.sqlite3 (or leave it empty"
        " for a SQLite file in the data dir).",
    )


def _schema(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise SettingsError(
            "CASUSBOT_DATABASE_SCHEMA",
            "must be a PostgreSQL schema name: lowercase letters, digits, _.",
        )
    return value


def _timezone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "CASUSBOT_TIMEZONE", f"'{value}' is not a time zone name such as Europe/Amsterdam."
        ) from None


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(name, f"'{value}' is not one of: {', '.join(allowed)}.")
    return value


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(name, f"'{value}' is not a whole number.") from None
    if not low <= number <= high:
        raise SettingsError(name, f"{number} is outside {low}..{high}.")
    return number


def _bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "ja", "1", "on"):
        return True
    if lowered in ("false", "no", "nee", "0", "off"):
        return False
    raise SettingsError(name, f"'{value}' is not true or false.")


def _seconds(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(name, f"'{value}' is not a number of seconds.") from None
    if not low <= number <= high:  # also refuses nan
        raise SettingsError(name, f"{value} is outside {low:g}..{high:g} seconds.")
    return number


def _existing_file(name: str, value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise SettingsError(
            name, f"file '{path}' does not exist; fix the path or remove the setting."
        )
    return path


_HOURS = re.compile(
    r"^(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<h1>\d{2}):(?P<m1>\d{2})-(?P<h2>\d{2}):(?P<m2>\d{2})$"
)


def parse_working_hours(value: str) -> WorkingHours:
    """Parse 'mon-fri 08:00-18:00' (days as a range of three-letter English names)."""
    advice = f"'{value}' should look like 'mon-fri 08:00-18:00'."
    match = _HOURS.match(value.strip().lower())
    if not match or match["d1"] not in DAYS or (match["d2"] and match["d2"] not in DAYS):
        raise SettingsError("CASUSBOT_WORKING_HOURS", advice)
    first = DAYS.index(match["d1"])
    last = DAYS.index(match["d2"]) if match["d2"] else first
    try:
        start = time(int(match["h1"]), int(match["m1"]))
        end = time(int(match["h2"]), int(match["m2"]))
    except ValueError:
        raise SettingsError("CASUSBOT_WORKING_HOURS", advice) from None
    if first > last or start >= end:
        raise SettingsError(
            "CASUSBOT_WORKING_HOURS", advice + " The start must come before the end."
        )
    return WorkingHours(days=frozenset(range(first, last + 1)), start=start, end=end)
