"""The App Home tab: published when a user opens it, on paging, and after changes that
concern them (bot.home_refresh)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view, welcome_home
from bot.runtime import Deps, Turn
from storage.agreements import AgreementKind, AgreementStatus, agreement_by_id
from storage.bodemeis_checks import schedule_extra_check
from storage.home import home_data
from storage.types import utcnow

log = logging.getLogger("casusbot")


async def render_home(deps: Deps, client: AsyncWebClient, user_id: str, *, page: int = 0) -> None:
    lang = await deps.users.language(client, user_id)
    today = datetime.now(deps.settings.timezone).date()
    async with deps.db.session() as session:
        data = await home_data(session, user_id=user_id, today=today)
    if not (data.cases or data.actions or data.bodemeisen or data.prep):
        view = welcome_home(lang)
    else:
        view = home_view(lang, data, deps.catalogue, deps.settings.timezone, page=page)
    await client.views_publish(user_id=user_id, view=view)


async def publish_home(turn: Turn) -> None:
    event = turn.body.get("event") or {}
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab needs nothing from us
    await render_home(turn.deps, turn.client, turn.user_id or "")


async def turn_page(turn: Turn) -> None:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit() or int(choice) > 1000:
        await turn.tell(turn.t("errors.forged"))
        return
    await render_home(turn.deps, turn.client, turn.user_id or "", page=int(choice))


async def refresh_homes(deps: Deps, client: AsyncWebClient, users: Iterable[str]) -> None:
    """Re-publish the home tab of everyone a change concerns; one failure stops no one else."""
    for user in dict.fromkeys(users):
        try:
            await render_home(deps, client, user)
        except SlackApiError as error:
            log.warning("home tab of %s not refreshed: %s", user, error.response.get("error"))


async def check_now(turn: Turn) -> None:
    """The monitor asks for a bodemeis check today, beside the regular series."""
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        await turn.tell(turn.t("errors.forged"))
        return
    async with turn.deps.db.session() as session:
        agreement = await agreement_by_id(session, agreement_id=int(choice))
        if (
            agreement is None
            or agreement.case_id != turn.case.id
            or agreement.kind != AgreementKind.BODEMEIS
            or agreement.status != AgreementStatus.OPEN
        ):
            created = None
        elif agreement.monitor_user_id != turn.user_id:
            created = False
        else:
            created = await schedule_extra_check(
                session, agreement=agreement, now=utcnow(), tz=turn.deps.settings.timezone
            )
    if created is None:
        await turn.tell(turn.t("errors.forged"))
    elif agreement is not None and agreement.monitor_user_id != turn.user_id:
        await turn.tell(turn.t("checks.not_yours"))
    else:
        await turn.tell(turn.t("home.check_coming" if created else "home.check_exists"))
