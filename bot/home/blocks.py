"""The App Home tab: what this person has to do, at a glance, within Slack's 100-block limit.

Built as one list of blocks and cut into pages; each page keeps the navigation buttons, so
however many cases and actions someone has, the view stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from bot.home.absence import absence_blocks, case_absences
from bot.kit.blocks import button, context, local_day, local_time, md, number
from bot.kit.i18n import t
from bot.kit.ids import ActionId, ViewId
from bot.kit.payloads import Ref
from bot.kit.scale_words import scale_title
from flows.model import Catalogue
from storage.absence import Absence
from storage.home import (
    ActionLine,
    BodemeisLine,
    CaseLine,
    EscalationLine,
    HomeData,
    PrepLine,
)

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


def _case(
    lang: str,
    line: CaseLine,
    catalogue: Catalogue,
    tz: ZoneInfo,
    absences: Mapping[int, list[Absence]],
) -> Block:
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
    # Issue 16: meetings too far apart for the phase; who in the case is away (regisseurs).
    if line.meeting_overdue:
        parts.append(t(lang, "rhythm.home_overdue"))
    if line.steering and absences.get(line.case_id):
        parts.append(case_absences(lang, absences[line.case_id]))
    read_prep = (
        button(
            t(lang, "prep.review_button"),
            ActionId.PREP_REVIEW,
            Ref(meeting_id=line.next_meeting_id),
        )
        if line.steering and line.next_meeting_id is not None
        else None
    )
    return SectionBlock(text=md("\n".join(parts)), accessory=read_prep)


def _action(lang: str, line: ActionLine, more_time: bool = False) -> list[Block]:
    """`more_time`: the action is due and its date may still move once (issue 16)."""
    due = t(lang, "home.due", date=local_day(lang, line.due)) if line.due else ""
    late = f" {t(lang, 'home.late')}" if line.overdue else ""
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{line.code}* · {line.text}\n{due}{late}".strip()))
    ]
    if line.due is not None:
        # The same buttons (and the same checks) as the reminder DM for this action.
        ref = Ref(case_id=line.case_id, choice=token(line.agreement_id, line.due))
        elements = [
            button(t(lang, "agreements.done_button"), ActionId.ACTION_DONE, ref, style="primary")
        ]
        if more_time:
            elements.append(
                button(t(lang, "agreements.more_time_button"), ActionId.ACTION_MORE_TIME, ref)
            )
        blocks.append(ActionsBlock(elements=elements))
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


def _escalation(lang: str, line: EscalationLine, tz: ZoneInfo) -> Block:
    """An open escalation (issue 16): nobody's yet gets "Ik pak dit op", an owned one
    "Afhandelen"."""
    owner = (
        t(lang, "escalations.owned_line", owner=f"<@{line.owner}>")
        if line.owner
        else t(lang, "escalations.unowned_line")
    )
    text = t(
        lang,
        "escalations.home_line",
        code=line.code,
        kind=t(lang, f"escalations.kind_{line.kind}"),
        when=local_time(lang, line.raised_at, tz),
    )
    ref = Ref(case_id=line.case_id, choice=str(line.escalation_id))
    if line.owner is None:
        accessory = button(t(lang, "escalations.pick_up"), ActionId.ESCALATION_PICK_UP, ref)
    else:
        accessory = button(t(lang, "escalations.resolve"), ActionId.ESCALATION_RESOLVE_OPEN, ref)
    return SectionBlock(text=md(f"{text}\n{owner}"), accessory=accessory)


def _part(title: str, items: list[Block], empty: str) -> list[Block]:
    return [
        DividerBlock(),
        SectionBlock(text=md(f"*{title}*")),
        *(items or [context(empty)]),
    ]


def home_blocks(
    lang: str,
    data: HomeData,
    catalogue: Catalogue,
    tz: ZoneInfo,
    absences: Mapping[int, list[Absence]] | None = None,
    reviews: Sequence[Block] = (),
    more_time: frozenset[int] = frozenset(),
) -> list[Block]:
    """Everything, in the order a person needs it: open escalations first, then what waits
    for me, then my cases, then one's own absence."""
    away = absences or {}
    escalations = (
        _part(
            t(lang, "escalations.home_title"),
            [_escalation(lang, line, tz) for line in data.escalations],
            "",
        )
        if data.escalations
        else []
    )
    return [
        *escalations,
        *_part(
            t(lang, "home.prep_title"),
            [_prep(lang, line, tz) for line in data.prep],
            t(lang, "home.no_prep"),
        ),
        *_part(
            t(lang, "home.actions_title"),
            [
                block
                for line in data.actions
                for block in _action(lang, line, line.agreement_id in more_time)
            ],
            t(lang, "home.no_actions"),
        ),
        *_part(
            t(lang, "home.bodemeisen_title"),
            [_bodemeis(lang, line, tz) for line in data.bodemeisen],
            t(lang, "home.no_bodemeisen"),
        ),
        *(_part(t(lang, "review.home_title"), list(reviews), "") if reviews else []),
        *_part(
            t(lang, "home.cases_title"),
            [_case(lang, line, catalogue, tz, away) for line in data.cases],
            t(lang, "home.no_cases"),
        ),
        DividerBlock(),
        *absence_blocks(lang, data.away),
    ]


def home_view(
    lang: str,
    data: HomeData,
    catalogue: Catalogue,
    tz: ZoneInfo,
    *,
    page: int = 0,
    absences: Mapping[int, list[Absence]] | None = None,
    reviews: Sequence[Block] = (),
    more_time: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    body = home_blocks(lang, data, catalogue, tz, absences, reviews, more_time)
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
