"""The App Home tab (published when a user opens it, on paging, and after changes that
concern them) and `/casus help`."""

from __future__ import annotations

from bot.home.help import help_blocks
from bot.home.use_cases import render_home, request_check
from bot.kit.runtime import CaseTurn, Declined, Turn

MAX_PAGE = 1000


async def show_help(turn: Turn) -> None:
    await turn.answer(turn.t("help.title"), blocks=help_blocks(turn.lang))


async def publish_home(turn: Turn) -> None:
    event = turn.body.get("event") or {}
    if event.get("tab") not in (None, "home") or not turn.user_id:
        return  # the Messages tab needs nothing from us
    await render_home(turn.deps, turn.client, turn.user_id)


async def turn_page(turn: Turn) -> None:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit() or int(choice) > MAX_PAGE or not turn.user_id:
        raise Declined("errors.forged")
    await render_home(turn.deps, turn.client, turn.user_id, page=int(choice))


async def check_now(turn: CaseTurn) -> None:
    """The monitor asks for a bodemeis check today, beside the regular series."""
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        raise Declined("errors.forged")
    created = await request_check(
        turn.deps, case_id=turn.case_id, agreement_id=int(choice), user_id=turn.user_id
    )
    await turn.tell(turn.t("home.check_coming" if created else "home.check_exists"))
