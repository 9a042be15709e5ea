"""The App Home tab: what this person has to do, at a glance, within Slack's 100-block limit.

Built as one list of blocks and cut into pages; each page keeps the navigation buttons, so
however many cases and actions someone has, the view stays valid.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.agreements.blocks import token
from bot.kit.blocks import button, context, local_day, local_time, md, number
from bot.kit.i18n import t
from bot.kit.ids import ActionId, ViewId
from bot.kit.payloads import Ref
from bot.kit.scale_words import scale_title
from flows.model import Catalogue
from storage.home import ActionLine, BodemeisLine, CaseLine, HomeData, PrepLine

HOME_BLOCK_LIMIT = 100
PAGE_BLOCKS = 90  # room for the header, the page navigation and a note


def welcome_home(lang: str) -> dict[str, Any]:
    """For someone who is in no case yet."""
    view = View(
        type="home",
        callback_id=ViewId.HOME,
        blocks=[
            HeaderBlock(text=t(lang, "home.welcome_title")),
            SectionBlock(text=md(t(lang, "home.welcome"))),
            SectionBlock(text=md(t(lang, "home.how"))),
            ActionsBlock(
                elements=[button(t(lang, "home.new_case"), ActionId.HOME_NEW_CASE, Ref())]
            ),
        ],
    )
    return view.to_dict()


def _case(lang: str, line: CaseLine, catalogue: Catalogue, tz: ZoneInfo) -> Block:
    phase = (
        catalogue.phase(line.phase).title.get(lang)
        if line.phase in catalogue.phase_keys
        else line.phase
    )
    parts = [
        f"*{line.code}* · {phase} · {t(lang, f'roles.{line.role}')}",
        t(lang, "home.next_meeting", when=local_time(lang, line.next_meeting, tz))
        if line.next_meeting
        else t(lang, "home.no_meeting"),
    ]
    if line.latest_median is not None:
        scale = scale_title(lang, catalogue, line.latest_scale or "")
        score = number(lang, line.latest_median)
        parts.append(t(lang, "home.latest_score", score=score, scale=scale))
    if line.steering and line.overdue:
        parts.append(t(lang, "home.overdue", n=line.overdue))
    return SectionBlock(text=md("\n".join(parts)))


def _action(lang: str, line: ActionLine) -> list[Block]:
    due = t(lang, "home.due", date=local_day(lang, line.due)) if line.due else ""
    late = f" {t(lang, 'home.late')}" if line.overdue else ""
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{line.code}* · {line.text}\n{due}{late}".strip()))
    ]
    if line.due is not None:
        # The same buttons (and the same checks) as the reminder DM for this action.
        ref = Ref(case_id=line.case_id, choice=token(line.agreement_id, line.due))
        blocks.append(
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "agreements.done_button"),
                        ActionId.ACTION_DONE,
                        ref,
                        style="primary",
                    ),
                    button(t(lang, "agreements.more_time_button"), ActionId.ACTION_MORE_TIME, ref),
                ]
            )
        )
    return blocks


def _bodemeis(lang: str, line: BodemeisLine, tz: ZoneInfo) -> Block:
    if line.last_answer:
        last = t(
            lang,
            "home.last_check",
            answer=t(lang, f"home.answer_{line.last_answer}"),
            when=local_time(lang, line.last_checked, tz),
        )
    else:
        last = t(lang, "home.never_checked")
    check_now = button(
        t(lang, "home.check_now"),
        ActionId.HOME_CHECK_NOW,
        Ref(case_id=line.case_id, choice=str(line.agreement_id)),
    )
    return SectionBlock(text=md(f"*{line.code}* · {line.text}\n{last}"), accessory=check_now)


def _prep(lang: str, line: PrepLine, tz: ZoneInfo) -> Block:
    """The prep form opens from here at once: no waiting for the DM, which keeps to working
    hours."""
    when = local_time(lang, line.scheduled_at, tz)
    open_now = button(
        t(lang, "prep.answer_button"),
        ActionId.PREP_OPEN,
        Ref(meeting_id=line.meeting_id),
        style="primary",
    )
    return SectionBlock(
        text=md(t(lang, "home.prep_line", code=line.code, when=when)), accessory=open_now
    )


def _part(title: str, items: list[Block], empty: str) -> list[Block]:
    return [
        DividerBlock(),
        SectionBlock(text=md(f"*{title}*")),
        *(items or [context(empty)]),
    ]


def home_blocks(lang: str, data: HomeData, catalogue: Catalogue, tz: ZoneInfo) -> list[Block]:
    """Everything, in the order a person needs it: what waits for me first, then my cases."""
    return [
        *_part(
            t(lang, "home.prep_title"),
            [_prep(lang, line, tz) for line in data.prep],
            t(lang, "home.no_prep"),
        ),
        *_part(
            t(lang, "home.actions_title"),
            [block for line in data.actions for block in _action(lang, line)],
            t(lang, "home.no_actions"),
        ),
        *_part(
            t(lang, "home.bodemeisen_title"),
            [_bodemeis(lang, line, tz) for line in data.bodemeisen],
            t(lang, "home.no_bodemeisen"),
        ),
        *_part(
            t(lang, "home.cases_title"),
            [_case(lang, line, catalogue, tz) for line in data.cases],
            t(lang, "home.no_cases"),
        ),
    ]


def home_view(
    lang: str, data: HomeData, catalogue: Catalogue, tz: ZoneInfo, *, page: int = 0
) -> dict[str, Any]:
    body = home_blocks(lang, data, catalogue, tz)
    pages = max(1, -(-len(body) // PAGE_BLOCKS))
    page = min(max(page, 0), pages - 1)
    blocks: list[Block] = [HeaderBlock(text=t(lang, "home.title"))]
    blocks += body[page * PAGE_BLOCKS : (page + 1) * PAGE_BLOCKS]
    navigation = [button(t(lang, "home.new_case"), ActionId.HOME_NEW_CASE, Ref())]
    if page > 0:
        navigation.append(
            button(t(lang, "home.previous_page"), ActionId.HOME_PAGE, Ref(choice=str(page - 1)))
        )
    if page < pages - 1:
        navigation.append(
            button(t(lang, "home.next_page"), ActionId.HOME_PAGE, Ref(choice=str(page + 1)))
        )
    blocks.append(DividerBlock())
    blocks.append(ActionsBlock(elements=navigation))
    if pages > 1:
        blocks.append(context(t(lang, "home.page", n=page + 1, m=pages)))
    view = View(type="home", callback_id=ViewId.HOME, blocks=blocks)
    return view.to_dict()
