"""The home tab of a user, published from what is stored; and the monitor's request for an
extra bodemeis check from it."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.home.blocks import home_view, welcome_home
from bot.kit.clock import local_today
from bot.kit.runtime import Declined, Deps
from storage.agreements import AgreementKind, AgreementStatus, agreement_by_id
from storage.bodemeis_checks import schedule_extra_check
from storage.home import home_data
from storage.types import utcnow


async def render_home(deps: Deps, client: AsyncWebClient, user_id: str, *, page: int = 0) -> None:
    lang = await deps.users.language(client, user_id)
    today = local_today(deps.settings.timezone)
    async with deps.db.session() as session:
        data = await home_data(session, user_id=user_id, today=today)
    if not (data.cases or data.actions or data.bodemeisen or data.prep or data.escalations):
        view = welcome_home(lang)
    else:
        view = home_view(lang, data, deps.catalogue, deps.settings.timezone, page=page)
    await client.views_publish(user_id=user_id, view=view)


async def request_check(deps: Deps, *, case_id: int, agreement_id: int, user_id: str) -> bool:
    """The monitor asks for a bodemeis check today, beside the regular series. False when one
    is coming already."""
    async with deps.db.session() as session:
        agreement = await agreement_by_id(session, agreement_id=agreement_id)
        if (
            agreement is None
            or agreement.case_id != case_id
            or agreement.kind != AgreementKind.BODEMEIS
            or agreement.status != AgreementStatus.OPEN
        ):
            raise Declined("errors.forged")
        if agreement.monitor_user_id != user_id:
            raise Declined("checks.not_yours")
        return await schedule_extra_check(
            session, agreement=agreement, now=utcnow(), tz=deps.settings.timezone
        )
