"""The home tab of a user, published from what is stored; and the monitor's request for an
extra bodemeis check from it."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.review import review_block_list, review_data
from bot.home.blocks import home_view, welcome_home
from bot.kit.blocks import md
from bot.kit.clock import local_today
from bot.kit.runtime import Declined, Deps
from storage.absence import absences_in_case
from storage.agreements import AgreementKind, AgreementStatus, agreement_by_id
from storage.bodemeis_checks import schedule_extra_check
from storage.home import HomeData, home_data
from storage.postponements import free_postponement_left
from storage.types import utcnow


async def render_home(deps: Deps, client: AsyncWebClient, user_id: str, *, page: int = 0) -> None:
    lang = await deps.users.language(client, user_id)
    today = local_today(deps.settings.timezone)
    async with deps.db.session() as session:
        data = await home_data(
            session,
            user_id=user_id,
            today=today,
            now=utcnow(),
            meeting_limits=deps.settings.max_meeting_interval,
        )
        # The regisseurs see who in their cases is away, and who stands in (issue 16).
        absences = {
            line.case_id: await absences_in_case(session, case_id=line.case_id, on=today)
            for line in data.cases
            if line.steering
        }
        reviews = await _reviews(session, lang, data)
        more_time = await _may_postpone(session, data, today)
    if not (
        data.cases or data.actions or data.bodemeisen or data.prep or data.away or data.escalations
    ):
        view = welcome_home(lang)
    else:
        view = home_view(
            lang,
            data,
            deps.catalogue,
            deps.settings.timezone,
            page=page,
            absences=absences,
            reviews=reviews,
            more_time=more_time,
        )
    await client.views_publish(user_id=user_id, view=view)


async def _reviews(session: AsyncSession, lang: str, data: HomeData) -> list[Block]:
    """For a regisseur: the bodemeisen of the cases they steer, to change or end between
    meetings (issue 16)."""
    blocks: list[Block] = []
    for line in data.cases:
        if not line.steering:
            continue
        listed, _ = await review_data(session, case_id=line.case_id, meeting_id=None)
        if listed:
            blocks.append(SectionBlock(text=md(f"*{line.code}*")))
            blocks += review_block_list(
                lang, listed, [], meeting_id=None, case_id=line.case_id, intro=False
            )
    return blocks


async def _may_postpone(session: AsyncSession, data: HomeData, today: date) -> frozenset[int]:
    """The actions offered "een week meer tijd" here: due (today or before), and their date not
    moved freely before (issue 16)."""
    found = set()
    for line in data.actions:
        if line.due is None or line.due > today:
            continue
        agreement = await agreement_by_id(session, agreement_id=line.agreement_id)
        if agreement is not None and await free_postponement_left(session, agreement=agreement):
            found.add(line.agreement_id)
    return frozenset(found)


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
