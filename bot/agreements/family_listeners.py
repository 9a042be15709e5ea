"""`/casus gezin [en]`: the casusregisseur asks for the agreements for the family (issue 16)."""

from __future__ import annotations

from bot.agreements.family import want_family_files
from bot.kit.runtime import CaseTurn, Declined, Followup
from bot.kit.wiring import subcommand
from storage.models import Role
from storage.types import utcnow


async def make_family_version(turn: CaseTurn) -> Followup:
    if turn.member.role != Role.CASUSREGISSEUR:
        raise Declined("family.only_casusregisseur")
    _, rest = subcommand(turn.body.get("text"))
    lang = "en" if rest.strip().lower() in ("en", "english", "engels") else "nl"
    async with turn.deps.db.session() as session:
        files = await want_family_files(
            session, turn.deps, case=turn.case, by=turn.user_id, lang=lang, now=utcnow()
        )

    async def made() -> None:
        await turn.answer(turn.t("family.coming"))
        await turn.show([], quiet=files)

    return made
