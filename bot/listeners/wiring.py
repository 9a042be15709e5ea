"""How a Slack request becomes work: ack at once, guard, then run the handler as a task.

Bolt's default makes every ack wait for a 10 ms poll; acking first and working afterwards
answers Slack in about a millisecond. Modal submissions are the exception: their validation
errors must travel in the ack, so `acked_view` validates first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.access import Access, Refused, guard
from bot.blocks.forms import malformed_fields
from bot.confidentiality import confirm_blocks
from bot.runtime import Deps, Handler, Turn, build_turn, log, run_handler

Validator = Callable[[Turn], Awaitable[dict[str, str] | None]]


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


async def guarded(handler: Handler, access: Access, turn: Turn) -> None:
    try:
        await guard(turn, access)
    except Refused as refusal:
        log.info("refused %s for user=%s (%s)", handler.__name__, turn.user_id, refusal.key)
        await explain_refusal(turn, refusal)
        return
    await handler(turn)


def acked(deps: Deps, handler: Handler, access: Access) -> Callable[..., Awaitable[None]]:
    """A Bolt listener that acks at once, then guards and runs `handler` in a task."""

    async def listener(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any = None
    ) -> None:
        await ack()
        deps.tasks.spawn(_run(deps, handler, access, client, body, respond), name=handler.__name__)

    listener.__name__ = f"acked_{handler.__name__}"
    return listener


async def _run(
    deps: Deps, handler: Handler, access: Access, client: AsyncWebClient, body: Any, respond: Any
) -> None:
    turn = await build_turn(deps, client, body, respond)

    async def guarded_handler(turn: Turn) -> None:
        await guarded(handler, access, turn)

    guarded_handler.__name__ = handler.__name__
    await run_handler(guarded_handler, turn)


def acked_view(
    deps: Deps, validate: Validator, handler: Handler, access: Access
) -> Callable[..., Awaitable[None]]:
    """A view_submission listener: field errors go back in the ack, the work runs after it."""

    async def listener(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        turn = await build_turn(deps, client, body, None)
        try:
            await guard(turn, access)
        except Refused as refusal:
            await ack()
            deps.tasks.spawn(explain_refusal(turn, refusal), name="refusal")
            return
        # A value of a type Slack's client never sends is a forged submission: refuse it whole.
        errors = {field: turn.t("errors.forged") for field in malformed_fields(body["view"])}
        errors = errors or await validate(turn)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        deps.tasks.spawn(run_handler(handler, turn), name=handler.__name__)

    listener.__name__ = f"view_{handler.__name__}"
    return listener
