"""Who is in a case (issue 16 point 6, issue 18 point 5): regisseurs add and remove
participants after registration, work is handed over first, removal takes effect at once and
out of the channel; whoever joins the case channel is met by what they may see; the
aanbrengende partner is recorded at registration and in the report."""

from __future__ import annotations

from sqlmodel import select

from bot.server import start_bot
from storage.models import AuditEvent, Case
from storage.reminders import Reminder, ReminderStatus
from tests.e2e.agreement_steps import in_days
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    hold_meeting,
    register_case,
    start_meeting,
    stored_case,
    text_of,
)
from tests.e2e.membership_steps import (
    agreement,
    give_action,
    in_channel,
    member,
    members_form,
    newcomer,
    user_id,
)


async def _audit(h: Harness) -> list[str]:
    async with h.db.session() as session:
        return [e.action for e in (await session.exec(select(AuditEvent))).all()]


async def test_a_stranger_who_joins_sees_no_case_data_and_the_regisseurs_decide(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    mila = newcomer(h)
    await h.sb.user("sanne").invite(CASE_CHANNEL, "mila")
    await h.settle()
    note = h.sb.user("mila").ephemerals(CASE_CHANNEL)[-1]
    assert "geen deelnemer" in text_of(note) and "ZVH-2026-014" not in text_of(note)
    for regisseur in ("petra", "karim"):
        told = h.sb.user(regisseur).dms()[-1]
        assert f"<@{mila}>" in text_of(told) and "join_register" in str(told["blocks"])

    # A restart before anyone acts: the buttons still work.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"
    told = h.sb.user("karim").dms()[-1]
    await h.sb.user("karim").click(
        "join_register", message=(h.sb.user("karim").dm_channel(), told["ts"])
    )
    await h.settle()
    joined = await member(h, "mila")
    assert joined is not None and joined.role == "deelnemer"
    assert joined.organisation == "Jeugdbescherming Utrecht"
    # Both regisseurs' notices lost their buttons and say who registered her.
    for regisseur in ("petra", "karim"):
        told = h.sb.user(regisseur).dms()[-1]
        assert "join_register" not in str(told["blocks"]) and "deelnemer" in text_of(told)
    assert "participant_added" in await _audit(h)


async def test_a_regisseur_removes_a_stranger_from_the_channel(harness: Harness) -> None:
    h = harness
    await register_case(h)
    newcomer(h)
    await h.sb.user("sanne").invite(CASE_CHANNEL, "mila")
    await h.settle()
    petra = h.sb.user("petra")
    told = petra.dms()[-1]
    await petra.click("join_remove", message=(petra.dm_channel(), told["ts"]))
    await h.settle()
    assert not in_channel(h, "mila")
    assert await member(h, "mila") is None
    assert "gehaald" in text_of(h.sb.user("karim").dms()[-1])


async def test_a_participant_who_joins_is_welcomed_with_the_next_meeting_and_their_actions(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await start_meeting(h)
    await give_action(h, "sanne", due=in_days(10), wording="Huisbezoek bij moeder")
    h.sb.kick(CASE_CHANNEL, "sanne")  # she left the channel, and is added back
    await h.sb.user("petra").invite(CASE_CHANNEL, "sanne")
    await h.settle()
    welcome = text_of(h.sb.user("sanne").ephemerals(CASE_CHANNEL)[-1])
    assert "Welkom in casus *ZVH-2026-014*" in welcome
    assert "Huisbezoek bij moeder" in welcome


async def test_removal_asks_for_a_hand_over_and_then_takes_effect_at_once(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await start_meeting(h)
    action_id = await give_action(h, "sanne", due=in_days(10))
    petra = h.sb.user("petra")
    await members_form(h)
    ack = await petra.submit({"remove_member": {"remove_member": "sanne"}})
    # She carries an open action: the form says what to hand over first; nothing changed.
    assert ack is not None and "hand_over_to" in ack.get("errors", {})
    assert "1 open actie" in ack["errors"]["hand_over_to"]
    assert (await member(h, "sanne")) is not None and (await member(h, "sanne")).removed_at is None  # type: ignore[union-attr]

    await petra.submit(
        {"remove_member": {"remove_member": "sanne"}, "hand_over_to": {"hand_over_to": "joost"}}
    )
    await h.settle()
    assert (await agreement(h, action_id)).owner_user_id == user_id(h, "joost")
    gone = await member(h, "sanne")
    assert gone is not None and gone.removed_at is not None
    assert not in_channel(h, "sanne")
    assert "uit casus *ZVH-2026-014* gehaald" in text_of(h.sb.user("sanne").dms()[-1])
    async with h.db.session() as session:
        hers = (
            await session.exec(
                select(Reminder).where(
                    Reminder.user_id == user_id(h, "sanne"),
                    Reminder.status == ReminderStatus.PENDING,
                )
            )
        ).all()
    assert hers == []
    # No case data any more: her home tab shows no case, no action.
    sanne = h.sb.user("sanne")
    await sanne.open_home()
    await h.settle()
    assert "ZVH-2026-014" not in str(sanne.home)
    audit = await _audit(h)
    assert "handed_over" in audit and "participant_removed" in audit


async def test_the_last_regisseur_stays(harness: Harness) -> None:
    h = harness
    await register_case(h)
    petra = h.sb.user("petra")
    await members_form(h)
    ack = await petra.submit({"remove_member": {"remove_member": "karim"}})
    await h.settle()
    assert ack is None or not ack.get("errors")
    await members_form(h)
    ack = await petra.submit({"remove_member": {"remove_member": "petra"}})
    assert ack is not None and "laatste regisseur" in ack["errors"]["remove_member"]


async def test_a_guest_added_later_gets_the_statement_before_the_channel(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    petra = h.sb.user("petra")
    await members_form(h)
    await petra.submit(
        {"add_members": {"add_members": ["gast_bram"]}, "add_role": {"add_role": "gast"}}
    )
    await h.settle()
    bram = h.sb.user("gast_bram")
    assert "Geheimhoudingsverklaring" in text_of(bram.dms()[-1])
    assert not in_channel(h, "gast_bram")
    await bram.click("confirm_confidentiality", message=bram.dms()[-1])
    await h.settle()
    assert in_channel(h, "gast_bram")
    # A participant added later is invited at once and told.
    newcomer(h)
    await members_form(h)
    await petra.submit({"add_members": {"add_members": ["mila"]}})
    await h.settle()
    assert in_channel(h, "mila")
    assert "toegevoegd aan casus *ZVH-2026-014*" in text_of(h.sb.user("mila").dms()[-1])


async def test_the_aanbrengende_partner_is_recorded_and_in_the_report(harness: Harness) -> None:
    h = harness
    petra = h.sb.user("petra")
    await petra.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await h.settle()
    await petra.submit(
        {
            "code": {"code": "ZVH-2026-014"},
            "phase": {"phase": "directe_veiligheid"},
            "casusregisseur": {"casusregisseur": "karim"},
            "participants": {"participants": ["sanne", "joost"]},
            "referring_partner": {"referring_partner": "Veilig Thuis Midden-Nederland"},
        }
    )
    await h.settle()
    case = await stored_case(h)
    assert case is not None and case.referring_partner == "Veilig Thuis Midden-Nederland"
    announcement = text_of(h.sb.messages(CASE_CHANNEL)[-1])
    assert "Aanbrengende partner: Veilig Thuis Midden-Nederland" in announcement
    async with h.db.session() as session:
        raw = (await session.exec(select(Case))).one()
    assert raw.referring_partner == "Veilig Thuis Midden-Nederland"
    thread_ts = await hold_meeting(h, "nog_zorgen")
    markdown = next(
        h.sb.file(info["id"]).content or b""
        for message in h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)
        for info in message.get("files") or []
        if h.sb.file(info["id"]).name.endswith(".md")
    ).decode()
    assert "**Aanbrengende partner:** Veilig Thuis Midden-Nederland" in markdown


async def test_a_channel_with_an_open_case_is_not_offered_nor_accepted(harness: Harness) -> None:
    h = harness
    await register_case(h)
    petra = h.sb.user("petra")
    await petra.slash("/casus", "nieuw", channel=CASE_CHANNEL)
    await h.settle()
    assert "ZVH-2026-014" in text_of(petra.ephemerals(CASE_CHANNEL)[-1])
    modal = petra.modal
    assert modal is not None and '"here"' not in str(modal["blocks"]).replace("'", '"')
    # A forged submission for "this channel" is refused with a field error.
    here = {"text": {"type": "plain_text", "text": "Dit besloten kanaal"}, "value": "here"}
    ack = await petra.submit(
        {
            "code": {"code": "ZVH-2026-015"},
            "phase": {"phase": "directe_veiligheid"},
            "casusregisseur": {"casusregisseur": "karim"},
            "channel": {"channel": here},
        }
    )
    assert ack is not None and "ZVH-2026-014" in ack["errors"]["channel"]
    async with h.db.session() as session:
        assert len((await session.exec(select(Case))).all()) == 1


async def test_where_slack_refuses_the_kick_the_regisseur_is_told(harness: Harness) -> None:
    h = harness
    await register_case(h)
    h.sb.ws.kick_by = "admins"  # a workspace setting keeps apps from removing members
    petra = h.sb.user("petra")
    await members_form(h)
    await petra.submit({"remove_member": {"remove_member": "lotte"}})
    await h.settle()
    gone = await member(h, "lotte")
    assert gone is not None and gone.removed_at is not None  # out of the case at once
    assert in_channel(h, "lotte")
    told = "\n".join(text_of(m) for m in petra.dms())
    assert "restricted_action" in told and "Haal diegene zelf uit het kanaal" in told
