"""How a Slack request becomes work: ack at once, guard, then run the handler as a task.

Bolt's default makes every ack wait for a 10 ms poll; acking first and working afterwards
answers Slack in about a millisecond. Modal submissions are the exception: their validation
errors must travel in the ack, so `acked_view` validates first.

A handler registered for Access.ANYONE takes a `Turn`; one registered for a case takes the
`CaseTurn` the guard builds. The overloads below let the type checker hold each registration
in bot/surface.py to that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.access import Access, CaseAccess, Refused, guard, read_ref
from bot.kit.confidentiality import confirm_blocks
from bot.kit.forms import malformed_fields
from bot.kit.runtime import (
    CaseHandler,
    CaseTurn,
    Deps,
    Handler,
    Respond,
    Turn,
    build_turn,
    log,
    run_handler,
)

Errors = dict[str, str] | None
Validator = Callable[[Turn], Awaitable[Errors]]
CaseValidator = Callable[[CaseTurn], Awaitable[Errors]]
Listener = Callable[..., Awaitable[None]]
# A handler of either turn type, as the implementations below hold it once the overloads
# have checked that its turn type matches its access.
AnyHandler = Callable[[Any], Awaitable[None]]


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


async def guarded(entry: Route, turn: Turn) -> None:
    """Run `entry` if the guard lets the turn through; else explain the refusal."""
    try:
        admitted_turn = await admitted(turn, entry.access)
    except Refused as refusal:
        log.info("refused %s for user=%s (%s)", entry.name, turn.user_id, refusal.key)
        await explain_refusal(turn, refusal)
        return
    await entry.handler(admitted_turn)


@overload
def acked(deps: Deps, handler: Handler, access: Literal[Access.ANYONE]) -> Listener: ...
@overload
def acked(deps: Deps, handler: CaseHandler, access: CaseAccess) -> Listener: ...
def acked(deps: Deps, handler: AnyHandler, access: Access) -> Listener:
    """A Bolt listener that acks at once, then guards and runs `handler` in a task."""
    entry = Route(handler, access)

    async def listener(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Respond | None = None
    ) -> None:
        await ack()
        deps.tasks.spawn(_run(deps, entry, client, body, respond), name=entry.name)

    listener.__name__ = f"acked_{entry.name}"
    return listener


async def _run(
    deps: Deps,
    entry: Route,
    client: AsyncWebClient,
    body: Mapping[str, Any],
    respond: Respond | None,
) -> None:
    turn = await build_turn(deps, client, body, respond)

    async def guarded_handler(turn: Turn) -> None:
        await guarded(entry, turn)

    await run_handler(guarded_handler, turn, name=entry.name)


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
    """A view_submission listener: field errors go back in the ack, the work runs after it."""
    name = getattr(handler, "__name__", "handler")

    async def listener(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        turn = await build_turn(deps, client, body, None)
        try:
            admitted_turn = await admitted(turn, access)
        except Refused as refusal:
            await ack()
            deps.tasks.spawn(explain_refusal(turn, refusal), name="refusal")
            return
        # A value of a type Slack's client never sends is a forged submission: refuse it whole.
        errors = {field: turn.t("errors.forged") for field in malformed_fields(body["view"])}
        errors = errors or await validate(admitted_turn) or {}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        deps.tasks.spawn(run_handler(handler, admitted_turn, name=name), name=name)

    listener.__name__ = f"view_{name}"
    return listener


def subcommands(table: Mapping[str, Route]) -> Handler:
    """One slash command dispatched on its first word ('/casus nieuw ZVH-1' runs 'nieuw');
    an empty command asks for "help"."""

    async def casus_command(turn: Turn) -> None:
        name, _rest = subcommand(turn.body.get("text"))
        entry = table.get(name)
        if entry is None:
            await turn.answer(turn.t("errors.unknown_command", command=f"/casus {name}"))
            return
        await guarded(entry, turn)

    return casus_command


def subcommand(text: str | None) -> tuple[str, str]:
    """Split '/casus nieuw ZVH-1' into ('nieuw', 'ZVH-1'); an empty command means help."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return "help", ""
    return words[0].lower(), (words[1] if len(words) > 1 else "")
