"""The App Home tab (published when a user opens it, on paging, and after changes that
concern them) and `/casus help`."""

from __future__ import annotations

from bot.home.help import help_blocks
from bot.home.use_cases import render_home, request_check
from bot.kit.runtime import CaseTurn, Declined, Followup, Turn, later

MAX_PAGE = 1000


async def show_help(turn: Turn) -> Followup:
    return later(_help, turn)


async def _help(turn: Turn) -> None:
    await turn.answer(turn.t("help.title"), blocks=help_blocks(turn.lang))


async def publish_home(turn: Turn) -> Followup | None:
    event = turn.body.get("event") or {}
    if event.get("tab") not in (None, "home") or not turn.user_id:
        return None  # the Messages tab needs nothing from us
    return later(render_home, turn.deps, turn.client, turn.user_id)


async def turn_page(turn: Turn) -> Followup:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit() or int(choice) > MAX_PAGE or not turn.user_id:
        raise Declined("errors.forged")
    return later(render_home, turn.deps, turn.client, turn.user_id, page=int(choice))


async def check_now(turn: CaseTurn) -> Followup:
    """The monitor asks for a bodemeis check today, beside the regular series."""
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        raise Declined("errors.forged")
    created = await request_check(
        turn.deps, case_id=turn.case_id, agreement_id=int(choice), user_id=turn.user_id
    )

    async def told() -> None:
        await turn.tell(turn.t("home.check_coming" if created else "home.check_exists"))

    return told
