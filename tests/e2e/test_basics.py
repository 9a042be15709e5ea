"""`/casus help` and the home tab, through the sandbox over HTTP and over Socket Mode."""

from __future__ import annotations

from tests.e2e.conftest import CASE_CHANNEL, Harness


def _text(message: dict) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


async def _help_seen_by(h: Harness, handle: str) -> str:
    person = h.sb.user(handle)
    await person.slash("/casus", "help", channel=CASE_CHANNEL)
    await h.settle()
    answers = person.ephemerals(CASE_CHANNEL)
    assert answers, f"{handle} got no answer to /casus help"
    return _text(answers[-1])


async def test_help_over_http_is_private_and_dutch(harness: Harness) -> None:
    text = await _help_seen_by(harness, "petra")
    assert "Commando's" in text and "/casus nieuw" in text
    assert "Beeldvorming" in text
    # Private: nobody else sees it, and nothing was posted in the channel.
    assert harness.sb.user("karim").ephemerals(CASE_CHANNEL) == []
    assert harness.sb.messages(CASE_CHANNEL) == []


async def test_help_is_english_for_an_english_locale(harness: Harness) -> None:
    text = await _help_seen_by(harness, "ilse")
    assert "Commands" in text and "Beeldvorming" in text  # the guideline's terms stay Dutch


async def test_help_over_socket_mode(socket_harness: Harness) -> None:
    text = await _help_seen_by(socket_harness, "sanne")
    assert "/casus overleg" in text


async def test_unknown_subcommand_says_so(harness: Harness) -> None:
    person = harness.sb.user("joost")
    await person.slash("/casus", "vergadering", channel=CASE_CHANNEL)
    await harness.settle()
    assert "/casus vergadering" in _text(person.ephemerals(CASE_CHANNEL)[-1])


async def test_home_tab_welcomes(harness: Harness) -> None:
    person = harness.sb.user("lotte")
    await person.open_home()
    await harness.settle()
    assert person.home is not None
    assert "Welkom bij Casusbot" in str(person.home["blocks"])


async def test_home_tab_over_socket_mode(socket_harness: Harness) -> None:
    person = socket_harness.sb.user("ilse")
    await person.open_home()
    await socket_harness.settle()
    assert "Welcome to Casusbot" in str(person.home["blocks"])
