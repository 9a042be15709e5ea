"""How a Slack request becomes work: guard, commit, ack, then the Slack side as a task.

Durable when acked (DESIGN §2): the handler guards and commits BEFORE the ack — one short
transaction — and returns a `Followup` for what Slack must show after it (renders through the
outbox, private answers, a modal). A crash before the commit is a click Slack shows as failed;
a crash after it loses nothing: the rows the change wanted are in the outbox. Nothing before
the ack calls Slack, so the ack stays as fast as the commit.

A change that cannot be stored (the database refuses or times out) is still acked, and the
user is told privately that it was NOT stored, with a reference: never a silent loss, never a
500. Slack waits 3 s for an ack: when the database is too slow to answer within
ACK_WITHIN_SECONDS, the request is acked then and its work goes on; the user learns the outcome
from its followup (the result, or "niet opgeslagen") — the one case where an ack comes before
the commit, told to the user either way. Modal submissions validate before the commit: field
errors travel in the ack (when they come in time).

A handler registered for Access.ANYONE takes a `Turn`; one registered for a case takes the
`CaseTurn` the guard builds. The overloads below let the type checker hold each registration
in bot/surface.py to that.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.kit.access import Access, CaseAccess, Refused, guard, read_ref
from bot.kit.confidentiality import confirm_blocks
from bot.kit.forms import malformed_fields
from bot.kit.runtime import (
    CaseHandler,
    CaseTurn,
    Declined,
    Deps,
    Followup,
    Handler,
    Respond,
    Turn,
    build_turn,
    later,
    log,
)

Errors = dict[str, str] | None
Validator = Callable[[Turn], Awaitable[Errors]]
CaseValidator = Callable[[CaseTurn], Awaitable[Errors]]
Listener = Callable[..., Awaitable[None]]
# A handler of either turn type, as the implementations below hold it once the overloads
# have checked that its turn type matches its access.
AnyHandler = Callable[[Any], Awaitable[Followup | None]]

# The database did not answer, refused, or timed out: the change was not stored.
STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)
# How long a modal's field errors may wait for the user's language (one users.info).
ERROR_LANGUAGE_SECONDS = 0.5
# Slack shows a click as failed when its ack takes more than 3 s: the commit gets this long.
ACK_WITHIN_SECONDS = 2.5


@dataclass(frozen=True, slots=True)
class Route:
    """A handler with the access it needs."""

    handler: AnyHandler
    access: Access

    @property
    def name(self) -> str:
        return getattr(self.handler, "__name__", "handler")


@overload
def route(handler: Handler, access: Literal[Access.ANYONE]) -> Route: ...
@overload
def route(handler: CaseHandler, access: CaseAccess) -> Route: ...
def route(handler: AnyHandler, access: Access) -> Route:
    return Route(handler, access)


async def explain_refusal(turn: Turn, refusal: Refused) -> None:
    """Tell the user privately why nothing happened; a guest gets the statement to confirm."""
    text = turn.t(refusal.key, **refusal.values)
    case_id = refusal.values.get("case_id")
    if refusal.key == "access.confirm_first" and isinstance(case_id, int):
        code = str(refusal.values.get("code", ""))
        blocks = confirm_blocks(turn.deps.settings, turn.lang, case_id=case_id, code=code)
        await turn.tell(text, blocks=blocks)
        return
    await turn.tell(text)


async def admitted(turn: Turn, access: Access) -> Turn | CaseTurn:
    """The turn the handler gets: its Ref decoded, and for a case access the guarded turn.
    Raises Refused."""
    read_ref(turn)
    if access is Access.ANYONE:
        return turn
    return await guard(turn, access)


async def guarded(entry: Route, turn: Turn) -> Followup | None:
    """Run `entry` if the guard lets the turn through; else explain the refusal (after the
    ack)."""
    try:
        admitted_turn = await admitted(turn, entry.access)
    except Refused as refusal:
        log.info("refused %s for user=%s (%s)", entry.name, turn.user_id, refusal.key)
        return later(explain_refusal, turn, refusal)
    return await entry.handler(admitted_turn)


async def before_ack(
    turn: Turn, work: Callable[[], Awaitable[Followup | None]], *, name: str
) -> Followup | None:
    """The committing part of a request. Never raises: whatever went wrong becomes the
    followup that tells the user — Declined: why nothing changed; a database failure: that
    it was not stored; anything else: a reference to the log.

    The work is one unit (storage.db): the guard's lookups and the use case's writes share a
    session and commit once, before the ack; whatever raises rolls all of it back."""
    try:
        async with turn.deps.db.unit():
            return await work()
    except Declined as declined:
        return later(_tell_key, turn, declined.key, declined.values)
    except STORE_ERRORS as error:
        ref = secrets.token_hex(4)
        log.error(
            "%s not stored: database failed (ref=%s, user=%s, type=%s): %s",
            name,
            ref,
            turn.user_id,
            turn.body.get("type"),
            type(error).__name__,
        )
        return later(_tell_key, turn, "errors.not_stored", {"ref": ref})
    except Exception:
        ref = secrets.token_hex(4)
        log.exception(
            "handler %s failed before the ack (ref=%s, user=%s, channel=%s, type=%s)",
            name,
            ref,
            turn.user_id,
            turn.channel_id,
            turn.body.get("type"),
        )
        return later(_tell_key, turn, "errors.generic", {"ref": ref})


async def _tell_key(turn: Turn, key: str, values: Mapping[str, object]) -> None:
    await turn.tell(turn.t(key, **values))


async def after_ack(turn: Turn, followup: Followup, *, name: str) -> None:
    """The Slack side, after the ack: in the user's language; a failure is logged with
    context and the user is told — never that nothing changed, the change is stored."""
    try:
        await turn.settle_language()
        try:
            await followup()
        except Declined as declined:
            await turn.tell(turn.t(declined.key, **declined.values))
    except Exception:
        ref = secrets.token_hex(4)
        log.exception(
            "followup of %s failed (ref=%s, user=%s, channel=%s, type=%s)",
            name,
            ref,
            turn.user_id,
            turn.channel_id,
            turn.body.get("type"),
        )
        try:
            await turn.tell(turn.t("errors.after_commit", ref=ref))
        except Exception:
            log.exception("could not tell user %s about failure ref=%s", turn.user_id, ref)


def spawn_followup(deps: Deps, turn: Turn, followup: Followup | None, *, name: str) -> None:
    if followup is not None:
        deps.tasks.spawn(after_ack(turn, followup, name=name), name=name)


async def in_time(
    deps: Deps, turn: Turn, work: Callable[[], Awaitable[Followup | None]], *, name: str
) -> asyncio.Task[Followup | None] | Followup | None:
    """The committing work's followup when it finished within ACK_WITHIN_SECONDS; else the
    still running task (it is not cancelled: cancelling a commit leaves its outcome unknown)."""
    task = asyncio.ensure_future(before_ack(turn, work, name=name))
    done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN_SECONDS)
    if done:
        return task.result()
    log.warning("%s: not committed in %.1f s; acked, the work goes on", name, ACK_WITHIN_SECONDS)
    deps.tasks.adopt(task)
    return task


def follow(
    deps: Deps,
    turn: Turn,
    outcome: asyncio.Task[Followup | None] | Followup | None,
    *,
    name: str,
) -> None:
    """After the ack: the followup, or — for work still committing — its followup once done."""
    if not isinstance(outcome, asyncio.Task):
        spawn_followup(deps, turn, outcome, name=name)
        return

    async def when_done() -> None:
        followup = await outcome
        if followup is not None:
            await after_ack(turn, followup, name=name)

    deps.tasks.spawn(when_done(), name=name)


@overload
def acked(deps: Deps, handler: Handler, access: Literal[Access.ANYONE]) -> Listener: ...
@overload
def acked(deps: Deps, handler: CaseHandler, access: CaseAccess) -> Listener: ...
def acked(deps: Deps, handler: AnyHandler, access: Access) -> Listener:
    """A Bolt listener: guard and commit, ack, then the handler's followup in a task."""
    entry = Route(handler, access)

    async def listener(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Respond | None = None
    ) -> None:
        turn = build_turn(deps, client, body, respond)
        outcome = await in_time(deps, turn, lambda: guarded(entry, turn), name=entry.name)
        await ack()
        follow(deps, turn, outcome, name=entry.name)

    listener.__name__ = f"acked_{entry.name}"
    return listener


@overload
def acked_view(
    deps: Deps, validate: Validator, handler: Handler, access: Literal[Access.ANYONE]
) -> Listener: ...
@overload
def acked_view(
    deps: Deps, validate: CaseValidator, handler: CaseHandler, access: CaseAccess
) -> Listener: ...
def acked_view(
    deps: Deps,
    validate: Callable[[Any], Awaitable[Errors]],
    handler: AnyHandler,
    access: Access,
) -> Listener:
    """A view_submission listener: guard, validate (field errors go back in the ack), commit,
    ack; then the followup."""
    name = getattr(handler, "__name__", "handler")

    async def listener(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        turn = build_turn(deps, client, body, None)
        errors: dict[str, str] = {}

        async def work() -> Followup | None:
            try:
                admitted_turn = await admitted(turn, access)
            except Refused as refusal:
                return later(explain_refusal, turn, refusal)
            found = await _field_errors(turn, admitted_turn, body, validate)
            if found:
                errors.update(found)
                return later(_too_late_for_errors, turn, errors)
            return await handler(admitted_turn)

        outcome = await in_time(deps, turn, work, name=name)
        if errors and not isinstance(outcome, asyncio.Task):
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        follow(deps, turn, outcome, name=name)

    listener.__name__ = f"view_{name}"
    return listener


async def _field_errors(
    turn: Turn,
    admitted_turn: Turn,
    body: Mapping[str, Any],
    validate: Callable[[Any], Awaitable[Errors]],
) -> dict[str, str]:
    async def check() -> dict[str, str]:
        # A value of a type Slack's client never sends is a forged submission: refuse it whole.
        forged = {field: turn.t("errors.forged") for field in malformed_fields(body["view"])}
        return forged or await validate(admitted_turn) or {}

    errors = await check()
    if errors and not turn.lang_known:
        # The errors are read now: in the user's language if Slack says it quickly.
        await turn.settle_language(ERROR_LANGUAGE_SECONDS)
        if turn.lang_known and turn.lang != turn.deps.settings.language:
            errors = await check()
    return errors


async def _too_late_for_errors(turn: Turn, errors: Mapping[str, str]) -> None:
    """Field errors found after the form was acked (closed) already: said privately."""
    if errors:
        await turn.tell(turn.t("errors.form_closed", errors="\n".join(errors.values())))


def subcommands(table: Mapping[str, Route]) -> Handler:
    """One slash command dispatched on its first word ('/casus nieuw ZVH-1' runs 'nieuw');
    an empty command asks for "help"."""

    async def casus_command(turn: Turn) -> Followup | None:
        name, _rest = subcommand(turn.body.get("text"))
        entry = table.get(name)
        if entry is None:
            return later(_unknown_command, turn, name)
        return await guarded(entry, turn)

    return casus_command


async def _unknown_command(turn: Turn, name: str) -> None:
    await turn.answer(turn.t("errors.unknown_command", command=f"/casus {name}"))


def subcommand(text: str | None) -> tuple[str, str]:
    """Split '/casus nieuw ZVH-1' into ('nieuw', 'ZVH-1'); an empty command means help."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return "help", ""
    return words[0].lower(), (words[1] if len(words) > 1 else "")
