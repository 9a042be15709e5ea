"""`python -m bot doctor`: is this installation healthy? One line per check, ✓ or ✗ and what to do.

Run it after installing, after a change (a new key, a reinstalled app, an upgrade) and when
users complain. It changes nothing: it reads the settings, the database (without migrating it)
and Slack (auth.test, conversations.info), and creates nothing in Slack. It prints ids, codes,
case codes, counts and dates, never case content, keys or tokens. Exit code 1 when any check
fails, so it can run from a deployment script.

Canvases: Slack has no call that says whether a workspace may create channel canvases, and
finding out by creating one would leave a canvas in a case channel. The doctor reads what is
there instead: the `canvases:write` scope, `conversations.info` of the case channels (a channel
canvas shows as `properties.canvas`), and the outbox's record of a canvas Slack refused
(`team_tier_cannot_create_channel_canvases` and the like: the veiligheidsplan is then a pinned
message).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Integer, Text, column, func, table, text
from sqlalchemy import select as sql_select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.admin import printable
from bot.config import Settings, SettingsError, load_settings
from bot.kit.ids import ObjectKind
from bot.kit.slack import error_code
from flows.catalogue import load_catalogue
from flows.errors import CatalogueError
from storage.case_rows import all_tables, encrypted_columns
from storage.crypto import KEY_FILE_NAME, SETTING_NAME, KeyConfigError, load_key_ring
from storage.db import Database, DbTimeouts, make_engine
from storage.migrate import alembic_config
from storage.models import Case, CaseStatus, SlackObject
from storage.reminders import Reminder, ReminderStatus
from storage.retention import cutoff, purge_started
from storage.slack_objects import backlog
from storage.types import utcnow

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
OK, FAIL = "✓", "✗"
# A backlog older than this means nothing is sending: the bot is down or stuck.
STALE = timedelta(minutes=10)
# The daily purge runs within a day of a case becoming due (10 minutes after each start).
PURGE_GRACE = timedelta(days=2)
# Canvas refusals that make the veiligheidsplan a pinned message instead.
NO_CANVASES = frozenset(
    {
        "team_tier_cannot_create_channel_canvases",
        "canvas_disabled_user_team",
        "free_team_canvas_tab_already_exists",
        "canvas_creation_failed",
        "channel_canvas_creation_failed",
    }
)
REINSTALL = "reinstall the app from manifest.yml (api.slack.com/apps → your app → App Manifest)"
INVITE = "in that channel, type /invite @Casusbot"
# What to do about an object or reminder Slack refused, by its error code.
FIXES = {
    "channel_not_found": INVITE,
    "not_in_channel": INVITE,
    "is_archived": "unarchive the channel and invite the bot",
    "missing_scope": REINSTALL,
    "invalid_auth": "put a valid SLACK_BOT_TOKEN in the settings",
    "token_revoked": "reinstall the app and put its new SLACK_BOT_TOKEN in the settings",
    "user_not_found": "the person's account is gone: remove them from the case",
    "user_disabled": "the person's account is deactivated: remove them from the case",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str  # what was found: counts, ids, codes
    fix: str = ""  # what to do, when not ok

    def line(self) -> str:
        text = f"{OK if self.ok else FAIL} {self.name}: {self.found}"
        if not self.ok and self.fix:
            text += f" → {self.fix}"
        return printable(text)


@dataclass
class Doctor:
    settings: Settings
    manifest: Path = MANIFEST
    now: datetime = field(default_factory=utcnow)
    checks: list[Check] = field(default_factory=list)
    _fernets: list[Fernet] | None = None
    _granted: set[str] | None = None
    _channel_infos: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, ok: bool, found: str, fix: str = "") -> bool:
        self.checks.append(Check(name, ok, found, fix))
        return ok

    async def run(self) -> list[Check]:
        self._settings()
        self._keys()
        engine = await self._database()
        client = self._client()
        try:
            if client is not None:
                await self._slack(client)
            if engine is not None:
                db = Database(engine)
                await self._encrypted_samples(engine)
                if client is not None:
                    await self._case_channels(db, client)
                await self._reminders(db)
                await self._outbox(db)
                await self._canvases(db)
                await self._retention(db)
        finally:
            if engine is not None:
                await engine.dispose()
        return self.checks

    # ----- settings and keys -----

    def _settings(self) -> None:
        s = self.settings
        mode = "Socket Mode" if s.socket_mode else "HTTP"
        database = "SQLite" if s.is_sqlite else "PostgreSQL"
        self.add(
            "settings",
            True,
            f"{s.environment}, {database}, {mode}, retention {s.retention_days} days,"
            f" time zone {s.timezone.key}",
        )
        try:
            s.require_slack()
            self.add("Slack settings", True, f"bot token set, Web API at {s.slack_api_url}")
        except SettingsError as error:
            self.add("Slack settings", False, str(error).split(":")[0] + " missing", str(error))
        try:
            load_catalogue(s.maatwerk_file)
        except CatalogueError as error:
            self.add("question catalogue", False, str(error), "fix CASUSBOT_MAATWERK_FILE")
        else:
            where = s.maatwerk_file or "built in"
            self.add("question catalogue", True, f"loads ({where})")

    def _keys(self) -> None:
        s = self.settings
        key_file = s.data_dir / KEY_FILE_NAME
        if not s.encryption_keys and s.environment == "development" and not key_file.exists():
            self.add("encryption keys", True, "development: a key is generated at first start")
            self._fernets = []
            return
        try:
            load_key_ring(
                env_value=s.encryption_keys,
                data_dir=s.data_dir,
                allow_generate=s.environment == "development",
            )
        except KeyConfigError as error:
            self.add("encryption keys", False, str(error), f"fix {SETTING_NAME}")
            return
        raw = s.encryption_keys or key_file.read_text(encoding="ascii").strip()
        self._fernets = [Fernet(part.strip()) for part in raw.split(",")]
        source = SETTING_NAME if s.encryption_keys else str(key_file)
        self.add("encryption keys", True, f"{len(self._fernets)} key(s) in {source}, newest first")

    # ----- the database -----

    async def _database(self) -> AsyncEngine | None:
        s = self.settings
        missing = _missing_sqlite_file(s)
        if missing is not None:  # connecting would create an empty one
            self.add(
                "database",
                False,
                f"no database file at {missing}",
                "start the bot or run `python -m bot migrate` (check DATABASE_URL)",
            )
            return None
        timeouts = DbTimeouts(connect=s.db_connect_timeout, statement=s.db_statement_timeout)
        engine = make_engine(s.database_url, schema=s.database_schema, timeouts=timeouts)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                current = await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            await engine.dispose()
            detail = str(getattr(error, "orig", None) or error).splitlines()[0][:160]
            self.add(
                "database",
                False,
                f"cannot connect ({type(error).__name__}: {detail})",
                "check DATABASE_URL and that the database server runs and accepts this host",
            )
            return None
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current == head:
            self.add("database", True, f"reachable, migrations current ({head})")
            return engine
        if current is None:
            fix = "run `python -m bot migrate` (the bot also migrates when it starts)"
            self.add("database", False, "reachable, but empty (no migrations applied)", fix)
        elif current in _revisions():
            fix = "run `python -m bot migrate` (the bot also migrates when it starts)"
            self.add("database", False, f"at migration {current}, the code needs {head}", fix)
        else:
            fix = "run the Casusbot version that migrated it, or upgrade this one"
            self.add("database", False, f"at migration {current}, unknown to this version", fix)
        await engine.dispose()
        return None

    async def _encrypted_samples(self, engine: AsyncEngine) -> None:
        """The oldest and newest value of every encrypted column, tried key by key."""
        if self._fernets is None:
            return  # the keys themselves failed
        needed: Counter[int] = Counter()
        unreadable: list[str] = []
        oldest: tuple[int, str, int] | None = None  # (written at, column, key number)
        columns = 0
        async with engine.connect() as conn:
            for source, cols in encrypted_columns(all_tables()).items():
                keys = [c.name for c in source.primary_key.columns]
                if len(keys) != 1:
                    continue  # rotate-keys refuses such a table and says so
                key = keys[0]
                for c in cols:
                    raw = table(source.name, column(key, Integer), column(c.name, Text))
                    present = raw.c[c.name].is_not(None)
                    samples = []
                    for order in (raw.c[key].asc(), raw.c[key].desc()):
                        query = sql_select(raw.c[key], raw.c[c.name]).where(present).order_by(order)
                        row = (await conn.execute(query.limit(1))).first()
                        if row is not None and row not in samples:
                            samples.append(row)
                    columns += bool(samples)
                    for pk, token in samples:
                        where = f"{source.name}.{c.name} id {pk}"
                        found = _key_of(self._fernets, str(token))
                        if found is None:
                            unreadable.append(where)
                            continue
                        number, written = found
                        needed[number] += 1
                        if oldest is None or written < oldest[0]:
                            oldest = (written, f"{source.name}.{c.name}", number)
        if unreadable:
            self.add(
                "encrypted data",
                False,
                f"{len(unreadable)} sampled value(s) no configured key can decrypt"
                f" ({', '.join(unreadable[:3])})",
                f"restore the old key in {SETTING_NAME} (after the new one), run `python -m bot"
                " rotate-keys`, then remove it",
            )
            return
        if oldest is None:
            self.add("encrypted data", True, "nothing encrypted stored yet")
            return
        written_at, where, number = oldest
        when = datetime.fromtimestamp(written_at, self.settings.timezone).strftime("%Y-%m-%d")
        summary = (
            f"{sum(needed.values())} sampled value(s) in {columns} column(s) readable; the oldest"
            f" ({where}, written {when}) needs key {number} of {len(self._fernets)}"
        )
        if number > 1:
            summary += "; keep that key until `python -m bot rotate-keys` re-encrypted everything"
        self.add("encrypted data", True, summary)

    # ----- Slack -----

    def _client(self) -> AsyncWebClient | None:
        if not self.settings.slack_bot_token:
            return None
        from bot.app import make_client

        return make_client(self.settings)

    async def _slack(self, client: AsyncWebClient) -> None:
        try:
            auth = await client.auth_test()
        except SlackApiError as error:
            code = error_code(error)
            self.add(
                "Slack",
                False,
                f"auth.test refused: {code}",
                FIXES.get(code, "check SLACK_BOT_TOKEN and SLACK_API_URL"),
            )
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self.add(
                "Slack",
                False,
                f"cannot reach {self.settings.slack_api_url} ({type(error).__name__})",
                "check SLACK_API_URL and that this host may connect to it (proxy, firewall)",
            )
            return
        team, user = auth.get("team"), auth.get("user_id")
        self.add("Slack", True, f"connected to {team} ({auth.get('team_id')}) as {user}")
        if self.settings.slack_app_token:
            await self._socket_mode()
        self._scopes(_header(auth.headers, "x-oauth-scopes"))

    async def _socket_mode(self) -> None:
        app = AsyncWebClient(
            token=self.settings.slack_app_token, base_url=self.settings.slack_api_url
        )
        try:
            await app.apps_connections_open(app_token=self.settings.slack_app_token or "")
        except SlackApiError as error:
            self.add(
                "Socket Mode",
                False,
                f"apps.connections.open refused: {error_code(error)}",
                "create an app-level token with connections:write (Basic Information) and put"
                " it in SLACK_APP_TOKEN",
            )
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self.add(
                "Socket Mode", False, f"unreachable ({type(error).__name__})", "check SLACK_API_URL"
            )
            return
        self.add("Socket Mode", True, "the app token opens connections")

    def _scopes(self, header: str | None) -> None:
        try:
            asked = set(_manifest_scopes(self.manifest))
        except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
            self.add(
                "scopes",
                False,
                f"cannot read {self.manifest} ({type(error).__name__})",
                "keep manifest.yml next to the code",
            )
            return
        if header is None:
            self.add(
                "scopes",
                False,
                "Slack did not say which scopes were granted",
                "check SLACK_API_URL points at Slack's Web API",
            )
            return
        granted = {s.strip() for s in header.split(",") if s.strip()}
        self._granted = granted
        missing = sorted(asked - granted)
        extra = sorted(granted - asked)
        if missing:
            self.add("scopes", False, f"missing {', '.join(missing)}", REINSTALL)
            return
        found = f"all {len(asked)} scopes of manifest.yml granted"
        if extra:
            found += f" (also granted, not needed: {', '.join(extra)})"
        self.add("scopes", True, found)

    async def _case_channels(self, db: Database, client: AsyncWebClient) -> None:
        async with db.session() as session:
            query = select(Case.code, Case.channel_id).where(col(Case.status) == CaseStatus.OPEN)
            cases = list((await session.exec(query)).all())
        problems: list[str] = []
        fixes: set[str] = set()
        for code, channel in cases:
            try:
                info = (await client.conversations_info(channel=channel))["channel"]
            except SlackApiError as error:
                reason = error_code(error)
                problems.append(f"{code} ({channel}): {reason}")
                fixes.add(FIXES.get(reason, INVITE))
                continue
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                problems.append(f"{code} ({channel}): {type(error).__name__}")
                continue
            self._channel_infos[channel] = info
            if info.get("is_archived"):
                problems.append(f"{code} ({channel}): archived")
                fixes.add(FIXES["is_archived"])
            elif not info.get("is_private"):
                problems.append(f"{code} ({channel}): public")
                fixes.add("case content belongs in a private channel: move the case")
            elif info.get("is_member") is False:
                problems.append(f"{code} ({channel}): the bot is not a member")
                fixes.add(INVITE)
        if problems:
            self.add(
                "case channels",
                False,
                f"{len(problems)} of {len(cases)} open case(s): {'; '.join(problems[:5])}",
                "; ".join(sorted(fixes)),
            )
        else:
            self.add(
                "case channels",
                True,
                f"the bot is in the channel of all {len(cases)} open case(s)"
                if cases
                else "no open cases",
            )

    # ----- work waiting -----

    async def _reminders(self, db: Database) -> None:
        async with db.session() as session:
            due_query = select(func.count(), func.min(col(Reminder.due_at))).where(
                col(Reminder.status).in_([ReminderStatus.PENDING, ReminderStatus.SENDING]),
                col(Reminder.due_at) <= self.now,
            )
            due, oldest = (await session.exec(due_query)).one()
            failed_query = (
                select(col(Reminder.kind), col(Reminder.last_error), func.count())
                .where(col(Reminder.status) == ReminderStatus.FAILED)
                .group_by(col(Reminder.kind), col(Reminder.last_error))
            )
            failed = list((await session.exec(failed_query)).all())
        found = f"{due} due" + (f" (oldest due {self._ago(oldest)})" if oldest else "")
        if failed:
            total = sum(n for _, _, n in failed)
            kinds = ", ".join(f"{kind} {code or '?'} ×{n}" for kind, code, n in failed)
            fixes = sorted(
                {FIXES.get(code or "", "see the log ('reminder N')") for _, code, _ in failed}
            )
            self.add(
                "reminders",
                False,
                f"{found}; {total} failed ({kinds}): those people were not reminded",
                "; ".join(fixes) + "; then `python -m bot retry-reminders` sends them again"
                " (or `--dismiss` to stop listing them)",
            )
        elif oldest is not None and self.now - oldest > STALE:
            self.add(
                "reminders",
                False,
                found,
                "nothing sends them: is the bot running? (its log, /readyz)",
            )
        else:
            self.add("reminders", True, found + ", none failed")

    async def _outbox(self, db: Database) -> None:
        async with db.session() as session:
            report = await backlog(session)
        found = f"{report.due} behind" + (
            f" (since {self._ago(report.oldest_due)})" if report.oldest_due else ""
        )
        if report.failed:
            codes = ", ".join(f"{code} ×{n}" for code, n in sorted(report.failed_by_error.items()))
            fixes = sorted(
                {
                    FIXES.get(code, "see the log ('outbox: row N')")
                    for code in report.failed_by_error
                }
            )
            self.add(
                "Slack messages",
                False,
                f"{found}; {report.failed} Slack refused for good ({codes})",
                "; ".join(fixes) + "; they are shown again at their next change",
            )
        elif report.oldest_due is not None and self.now - report.oldest_due > STALE:
            self.add("Slack messages", False, found, "nothing renders them: is the bot running?")
        else:
            self.add("Slack messages", True, found + ", none refused")

    async def _canvases(self, db: Database) -> None:
        if self._granted is not None and "canvases:write" not in self._granted:
            self.add("canvases", False, "canvases:write is not granted", REINSTALL)
            return
        async with db.session() as session:
            query = (
                select(col(SlackObject.last_error), func.count())
                .where(col(SlackObject.last_error).in_(sorted(NO_CANVASES)))
                .group_by(col(SlackObject.last_error))
            )
            refused = {str(code): int(n) for code, n in (await session.exec(query)).all()}
            # The veiligheidsplan remembers its fallback in its payload (bot/agreements/plan.py).
            pinned_query = select(func.count()).where(
                col(SlackObject.kind) == ObjectKind.VEILIGHEIDSPLAN,
                col(SlackObject.payload).contains('"pinned":true'),
            )
            pinned = int((await session.exec(pinned_query)).one())
        with_canvas = [
            c
            for c, info in self._channel_infos.items()
            if (info.get("properties") or {}).get("canvas")
        ]
        if with_canvas:
            self.add(
                "canvases",
                True,
                f"in use: {len(with_canvas)} case channel(s) have a channel canvas",
            )
        elif refused or pinned:
            codes = ", ".join(sorted(refused)) or f"{pinned} pinned veiligheidsplan(s)"
            self.add(
                "canvases",
                True,
                f"not available in this workspace ({codes}): the veiligheidsplan is a pinned"
                " message instead (channel canvases need a paid plan, and canvases switched on)",
            )
        else:
            self.add(
                "canvases",
                True,
                "not used yet: no case channel has a canvas and Slack refused none; the first"
                " veiligheidsplan shows whether this workspace allows them (else it is pinned)",
            )

    async def _retention(self, db: Database) -> None:
        overdue_before = cutoff(self.now, self.settings.retention_days) - PURGE_GRACE
        async with db.session() as session:
            query = (
                select(Case.id, Case.code)
                .where(
                    col(Case.status) == CaseStatus.CLOSED,
                    col(Case.closed_at) <= overdue_before,
                )
                .order_by(col(Case.closed_at))
            )
            overdue = list((await session.exec(query)).all())
            started = [
                code
                for case_id, code in overdue
                if case_id is not None and await purge_started(session, case_id=case_id)
            ]
        if overdue:
            codes = ", ".join(code for _, code in overdue[:5])
            found = f"{len(overdue)} closed case(s) past retention not purged ({codes})"
            if started:
                found += f"; the purge of {', '.join(started[:5])} began and waits on Slack"
            self.add(
                "retention",
                False,
                found,
                "run `python -m bot purge`: it says what stops it (codes and ids)",
            )
        else:
            self.add(
                "retention",
                True,
                f"no case overdue (cases go {self.settings.retention_days} days after closing)",
            )

    def _ago(self, moment: datetime) -> str:
        return moment.astimezone(self.settings.timezone).strftime("%Y-%m-%d %H:%M")


def _key_of(fernets: list[Fernet], token: str) -> tuple[int, int] | None:
    """(1-based number of the first key that decrypts `token`, when it was written)."""
    for number, fernet in enumerate(fernets, start=1):
        try:
            fernet.decrypt(token.encode("ascii"))
            return number, fernet.extract_timestamp(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            continue
    return None


def _missing_sqlite_file(settings: Settings) -> Path | None:
    if not settings.is_sqlite:
        return None
    path = Path(settings.database_url.split(":///", 1)[-1])
    return None if path.exists() else path


def _revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _manifest_scopes(path: Path) -> list[str]:
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(scope) for scope in manifest["oauth_config"]["scopes"]["bot"]]


def report(checks: Iterable[Check]) -> int:
    """Print the lines; 1 when any check failed."""
    checks = list(checks)
    for check in checks:
        print(check.line())
    failed = sum(1 for c in checks if not c.ok)
    print(
        f"{len(checks) - failed} of {len(checks)} checks passed"
        + (f", {failed} failed." if failed else ".")
    )
    return 1 if failed else 0


async def doctor(settings: Settings, *, manifest: Path = MANIFEST) -> int:
    return report(await Doctor(settings, manifest=manifest).run())


def doctor_command(environ: dict[str, str] | None = None) -> int:
    """The CLI entry: settings that do not load are a failed check too."""
    try:
        settings = load_settings(environ)
    except SettingsError as error:
        return report([Check("settings", False, str(error), "fix it in .env or the environment")])
    try:
        return asyncio.run(doctor(settings))
    except KeyboardInterrupt:
        return 1
