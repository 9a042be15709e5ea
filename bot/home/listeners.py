"""The App Home tab (published when a user opens it, on paging, and after changes that
concern them) and `/casus help`."""

from __future__ import annotations

from datetime import date

from bot.home.absence import absence_errors, absence_modal, back_again, record_absence
from bot.home.help import help_blocks
from bot.home.use_cases import render_home, request_check
from bot.kit.clock import local_today
from bot.kit.forms import form_values, parse_date
from bot.kit.ids import Field
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


# ----- absence and stand-ins (issue 16) -----


async def open_absence_form(turn: Turn) -> Followup:
    if not turn.user_id:
        raise Declined("errors.forged")
    view = absence_modal(turn.lang, today=local_today(turn.deps.settings.timezone))

    async def opened() -> None:
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return opened


def _absence_values(turn: Turn) -> tuple[date | None, str | None]:
    values = form_values(turn.view)
    stand_in = values.get(Field.STAND_IN)
    return parse_date(values.get(Field.UNTIL)), stand_in if isinstance(stand_in, str) else None


async def validate_absence(turn: Turn) -> dict[str, str] | None:
    until, stand_in = _absence_values(turn)
    errors = absence_errors(
        turn.lang,
        user_id=turn.user_id or "",
        until=until,
        stand_in=stand_in,
        today=local_today(turn.deps.settings.timezone),
    )
    return errors or None


async def save_absence(turn: Turn) -> Followup:
    until, stand_in = _absence_values(turn)
    if not turn.user_id or until is None or not stand_in:
        raise Declined("errors.forged")
    try:
        await record_absence(turn.deps, user_id=turn.user_id, until=until, stand_in=stand_in)
    except ValueError:
        raise Declined("absence.in_past") from None
    user_id = turn.user_id

    async def shown() -> None:
        await render_home(turn.deps, turn.client, user_id)

    return shown


async def end_absence_now(turn: Turn) -> Followup:
    if not turn.user_id:
        raise Declined("errors.forged")
    await back_again(turn.deps, user_id=turn.user_id)
    user_id = turn.user_id

    async def shown() -> None:
        await render_home(turn.deps, turn.client, user_id)

    return shown
