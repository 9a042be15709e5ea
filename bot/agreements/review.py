"""Bodemeisen have a life (issue 16): at the guideline's "Wat zijn de veiligheidsafspraken en
bodemeisen? Zijn hier nog aanpassingen in nodig?" (Beeldvorming of risicogestuurde zorg and
herstel) the question lists the bodemeisen in force with their monitor, interval and last
checks, each with *blijft* / *aanpassen* / *beëindigen*. Regisseurs do the same between
meetings from the home tab (no meeting: the decision is recorded without one).

The decisions themselves are storage.bodemeisen's (a new version for a change, the old one kept;
checks follow in the same transaction; audited). Here: which step is the review point, the
blocks that list the bodemeisen (drawn when the question is drawn), and the use cases, which
commit the decision with the objects that show it — the question, the meeting's agreements
message and the veiligheidsplan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.blocks import interval_options, interval_text
from bot.agreements.message import want_message
from bot.agreements.plan import want_plan
from bot.kit.blocks import button, context, dicts, local_date, md, mention, modal
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.objects import bump
from bot.kit.payloads import Ref
from bot.kit.runtime import Declined, Deps
from bot.meetings.objects import current_question
from flows.model import name_of
from flows.steps import Step
from storage.agreements import (
    DEFAULT_INTERVAL_DAYS,
    INTERVALS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    BodemeisCheck,
    agreement_by_id,
)
from storage.bodemeis_checks import checks_since
from storage.bodemeisen import (
    BodemeisReview,
    ReviewDecision,
    active_bodemeisen,
    change_bodemeis,
    end_bodemeis,
    keep_bodemeis,
    reviews_in_meeting,
)
from storage.models import Case, row_id
from storage.types import utcnow

# A message has at most 50 blocks; the question itself takes some. More bodemeisen than this
# are reviewed from the home tab (the message says so).
MAX_LISTED = 10
RECENT_CHECKS = 3
REASON_MAX = 2000
TEXT_MAX = 3000


def is_review_step(step: Step) -> bool:
    """The guideline's review point: a Beeldvorming question whose prompt asks whether the
    bodemeisen need changes (risicogestuurde zorg and herstel), also when maatwerk reworded
    its key."""
    if step.section.name != "beeldvorming":
        return False
    asks = any("bodemeisen" in p.text.nl and "aanpassingen" in p.text.nl for p in step.prompts)
    return asks or (name_of(step.key) == "stand_van_zaken" and "directe" not in step.key)


# ----- what the review shows -----


@dataclass(frozen=True, slots=True)
class Reviewed:
    bodemeis: Agreement
    checks: tuple[BodemeisCheck, ...]  # the latest, newest first
    decision: BodemeisReview | None  # taken in this meeting


async def review_data(
    session: AsyncSession, *, case_id: int, meeting_id: int | None
) -> tuple[list[Reviewed], list[tuple[Agreement, BodemeisReview]]]:
    """The bodemeisen in force with their latest checks and this meeting's decision about them,
    and those ended in this meeting."""
    active = await active_bodemeisen(session, case_id=case_id)
    checks: dict[int, list[BodemeisCheck]] = {}
    for check, agreement in await checks_since(session, case_id=case_id, since=None):
        checks.setdefault(row_id(agreement), []).append(check)
    decided = await reviews_in_meeting(session, meeting_id=meeting_id) if meeting_id else []
    by_successor = {r.successor_id: r for r in decided if r.successor_id is not None}
    by_version = {r.agreement_id: r for r in decided}
    listed = []
    for bodemeis in active:
        key = row_id(bodemeis)
        recent = sorted(checks.get(key, []), key=lambda c: c.occurrence, reverse=True)
        listed.append(
            Reviewed(
                bodemeis,
                tuple(recent[:RECENT_CHECKS]),
                by_successor.get(key) or by_version.get(key),
            )
        )
    ended = []
    for review in decided:
        if review.decision == ReviewDecision.ENDED:
            old = await agreement_by_id(session, agreement_id=review.agreement_id)
            if old is not None:
                ended.append((old, review))
    return listed, ended


def _line(lang: str, item: Reviewed) -> str:
    b = item.bodemeis
    text = t(
        lang,
        "review.line",
        text=" ".join((b.text or "").split()),
        monitor=mention(b.monitor_user_id) if b.monitor_user_id else "—",
        interval=interval_text(lang, b.interval_days or DEFAULT_INTERVAL_DAYS),
    )
    if item.checks:
        answers = ", ".join(
            t(
                lang,
                "agreements.overview_answer",
                date=local_date(lang, date.fromisoformat(c.occurrence)),
                answer=t(lang, f"checks.answer_{c.answer}"),
            )
            for c in item.checks
        )
        text += "\n" + t(lang, "review.checks", answers=answers)
    else:
        text += "\n" + t(lang, "home.never_checked")
    if item.decision is not None:
        text += "\n" + t(
            lang,
            f"review.decided_{item.decision.decision}",
            by=mention(item.decision.decided_by),
        )
    return text


def review_blocks(
    lang: str,
    listed: list[Reviewed],
    ended: list[tuple[Agreement, BodemeisReview]],
    *,
    meeting_id: int | None,
    case_id: int,
) -> list[dict[str, Any]]:
    return dicts(review_block_list(lang, listed, ended, meeting_id=meeting_id, case_id=case_id))


def review_block_list(
    lang: str,
    listed: list[Reviewed],
    ended: list[tuple[Agreement, BodemeisReview]],
    *,
    meeting_id: int | None,
    case_id: int,
    intro: bool = True,
) -> list[Block]:
    """The review's part of the question (or of the home tab): per bodemeis its line and the
    three buttons (two between meetings); what was ended here, without buttons."""
    blocks: list[Block] = [context(t(lang, "review.intro"))] if intro else []
    if not listed and not ended:
        blocks.append(context(t(lang, "review.none")))
    for item in listed[:MAX_LISTED]:
        ref = Ref(
            meeting_id=meeting_id,
            case_id=None if meeting_id else case_id,
            choice=str(row_id(item.bodemeis)),
        )
        blocks.append(SectionBlock(text=md(_line(lang, item))))
        elements = [
            button(t(lang, "review.change"), ActionId.BODEMEIS_CHANGE_OPEN, ref),
            button(t(lang, "review.end"), ActionId.BODEMEIS_END_OPEN, ref, style="danger"),
        ]
        if meeting_id is not None and item.decision is None:
            elements.insert(
                0, button(t(lang, "review.keep"), ActionId.BODEMEIS_KEEP, ref, style="primary")
            )
        blocks.append(ActionsBlock(elements=elements))
    if len(listed) > MAX_LISTED:
        blocks.append(context(t(lang, "review.more", n=len(listed) - MAX_LISTED)))
    for old, review in ended:
        blocks.append(
            context(
                t(
                    lang,
                    "review.ended_line",
                    text=" ".join((old.text or "").split()),
                    by=mention(review.decided_by),
                )
            )
        )
    return blocks


async def question_review(deps: Deps, *, case_id: int, meeting_id: int) -> list[dict[str, Any]]:
    """Drawn with the review question of a running meeting."""
    async with deps.db.session() as session:
        listed, ended = await review_data(session, case_id=case_id, meeting_id=meeting_id)
    return review_blocks(
        deps.settings.language, listed, ended, meeting_id=meeting_id, case_id=case_id
    )


# ----- the forms -----


def change_modal(lang: str, *, ref: Ref, bodemeis: Agreement) -> dict[str, Any]:
    options = interval_options(lang)
    current = str(bodemeis.interval_days or DEFAULT_INTERVAL_DAYS)
    initial = next((o for o in options if o.value == current), None)
    if initial is None:  # an interval set outside the form's choices stays choosable
        initial = Option(value=current, text=interval_text(lang, int(current)))
        options = [initial, *options]
    blocks: list[Block] = [
        context(t(lang, "review.change_intro")),
        InputBlock(
            block_id=Field.AGREEMENT_TEXT,
            label=t(lang, "agreements.bodemeis_text"),
            hint=t(lang, "agreements.bodemeis_hint"),
            element=PlainTextInputElement(
                action_id=Field.AGREEMENT_TEXT,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=bodemeis.text or None,
            ),
        ),
        InputBlock(
            block_id=Field.MONITOR,
            label=t(lang, "agreements.monitor"),
            element=UserSelectElement(
                action_id=Field.MONITOR, initial_user=bodemeis.monitor_user_id
            ),
        ),
        InputBlock(
            block_id=Field.INTERVAL,
            label=t(lang, "agreements.interval"),
            element=StaticSelectElement(
                action_id=Field.INTERVAL, options=options, initial_option=initial
            ),
        ),
    ]
    texts = ("review.change_title", "agreements.save", "agreements.cancel")
    return modal(lang, ViewId.BODEMEIS_CHANGE, texts, ref=ref, blocks=blocks)


def end_modal(lang: str, *, ref: Ref, bodemeis: Agreement) -> dict[str, Any]:
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{' '.join((bodemeis.text or '').split())}*")),
        InputBlock(
            block_id=Field.REASON,
            label=t(lang, "review.reason"),
            hint=t(lang, "agreements.text_hint"),
            element=PlainTextInputElement(
                action_id=Field.REASON, multiline=True, max_length=REASON_MAX
            ),
        ),
    ]
    texts = ("review.end_title", "agreements.save", "agreements.cancel")
    return modal(lang, ViewId.BODEMEIS_END, texts, ref=ref, blocks=blocks)


def allowed_interval(raw: object, bodemeis: Agreement) -> int | None:
    """The submitted interval, when it is one the form offered."""
    offered = {str(d) for d in INTERVALS} | {str(bodemeis.interval_days or DEFAULT_INTERVAL_DAYS)}
    return int(raw) if isinstance(raw, str) and raw in offered else None


# ----- the use cases -----


async def bodemeis_in_force(deps: Deps, *, case: Case, agreement_id: int) -> Agreement:
    """The bodemeis a button names, in force in this case; else a kind refusal."""
    async with deps.db.session() as session:
        bodemeis = await agreement_by_id(session, agreement_id=agreement_id)
    if (
        bodemeis is None
        or bodemeis.case_id != row_id(case)
        or bodemeis.kind != AgreementKind.BODEMEIS
    ):
        raise Declined("errors.forged")
    if bodemeis.status != AgreementStatus.OPEN:
        raise Declined("review.not_in_force")
    return bodemeis


async def _shown(
    session: AsyncSession, deps: Deps, *, case: Case, meeting_id: int | None
) -> tuple[int, ...]:
    rows = await want_plan(session, deps, case=case)
    if meeting_id is not None:
        question = await current_question(session, meeting_id)
        if question is not None:
            rows.append(await bump(session, deps, question))
        rows += await want_message(session, deps, meeting_id=meeting_id)
    return tuple(rows)


async def keep(
    deps: Deps, *, case: Case, agreement_id: int, meeting_id: int, by: str
) -> tuple[int, ...]:
    async with deps.db.session() as session:
        if not await keep_bodemeis(
            session, agreement_id=agreement_id, meeting_id=meeting_id, by=by, now=utcnow()
        ):
            raise Declined("review.already")
        return await _shown(session, deps, case=case, meeting_id=meeting_id)


async def change(
    deps: Deps,
    *,
    case: Case,
    agreement_id: int,
    meeting_id: int | None,
    by: str,
    text: str,
    monitor: str,
    interval_days: int,
) -> tuple[int, ...]:
    settings = deps.settings
    async with deps.db.session() as session:
        try:
            new = await change_bodemeis(
                session,
                agreement_id=agreement_id,
                by=by,
                now=utcnow(),
                hours=settings.working_hours,
                tz=settings.timezone,
                text=text,
                monitor_user_id=monitor,
                interval_days=interval_days,
                meeting_id=meeting_id,
            )
        except ValueError:
            raise Declined("review.nothing_changed") from None
        if new is None:
            raise Declined("review.not_in_force")
        return await _shown(session, deps, case=case, meeting_id=meeting_id)


async def end(
    deps: Deps, *, case: Case, agreement_id: int, meeting_id: int | None, by: str, reason: str
) -> tuple[int, ...]:
    async with deps.db.session() as session:
        if not await end_bodemeis(
            session,
            agreement_id=agreement_id,
            by=by,
            reason=reason,
            now=utcnow(),
            meeting_id=meeting_id,
        ):
            raise Declined("review.not_in_force")
        return await _shown(session, deps, case=case, meeting_id=meeting_id)
