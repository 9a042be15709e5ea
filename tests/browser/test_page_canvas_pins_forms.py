"""The chat page shows a channel's canvas (kept current as the bot edits it) and its pinned
messages, asks before a half-filled form is thrown away, and explains a refused value under
the field in the person's language. The stand-in alone: the bot's calls are made here."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from tests.browser.conftest import chromium_paths, need_selenium

need_selenium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from sandbox import Sandbox, Workspace, modals  # noqa: E402
from sandbox.blockkit import check_view  # noqa: E402
from tests.browser.conftest import ARTIFACTS  # noqa: E402
from tests.browser.page import ChatPage  # noqa: E402
from tests.browser.test_ui_api import SCORE_MODAL  # noqa: E402

T = TypeVar("T")
PLAN = "# Veiligheidsplan\n## Bodemeisen\n- **Geen alcohol** in huis\n"


class BareSandbox:
    """The stand-in with an installed app and no bot, on an event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sb = Sandbox(Workspace.demo())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def start(self) -> BareSandbox:
        self.thread.start()
        self.run(self.sb.start())
        self.app = self.sb.install_app(name="Casusbot", join=["casus-demo"], events=())
        self.client = AsyncWebClient(token=self.app.bot_token, base_url=self.sb.api_url)
        return self

    def open_form(self, person: str) -> None:
        async def open_it() -> None:
            modals.open_modal(self.sb, self.app, self.sb.user(person).id, check_view(SCORE_MODAL))

        self.run(open_it())

    def stop(self) -> None:
        self.run(self.sb.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def bare() -> Iterator[BareSandbox]:
    chromium_paths()
    running = BareSandbox().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def chat(bare: BareSandbox, driver: Any) -> ChatPage:
    return ChatPage(driver, f"{bare.sb.url}ui/", ARTIFACTS)


def canvas_text(page: ChatPage) -> str:
    found = page.driver.find_elements(By.CSS_SELECTOR, "#messages .canvas-doc")
    return found[0].text if found else ""


def test_the_canvas_follows_the_bots_edits_and_pins_are_marked(
    bare: BareSandbox, chat: ChatPage
) -> None:
    chat.open("petra")
    chat.sees("casus-demo", "header")
    bare.run(
        bare.client.conversations_canvases_create(
            channel_id="C0CASUSDEMO",
            title="Veiligheidsplan",
            document_content={"type": "markdown", "markdown": PLAN},
        )
    )
    chat.press(lambda: chat.region("header").find_elements(By.CSS_SELECTOR, "[data-tab=canvas]"))
    chat.wait_for(lambda d: "Geen alcohol" in canvas_text(chat))
    doc = chat.driver.find_element(By.CSS_SELECTOR, "#messages .canvas-doc")
    assert doc.find_element(By.TAG_NAME, "h1").text == "Veiligheidsplan"
    assert doc.find_element(By.CSS_SELECTOR, "li b").text == "Geen alcohol"

    edited = PLAN + "- Dagelijks contact met school\n"
    canvas_id = bare.sb.ws.channels["C0CASUSDEMO"].canvas.id  # type: ignore[union-attr]
    bare.run(
        bare.client.canvases_edit(
            canvas_id=canvas_id,
            changes=[
                {
                    "operation": "replace",
                    "document_content": {"type": "markdown", "markdown": edited},
                }
            ],
        )
    )
    chat.wait_for(lambda d: "Dagelijks contact met school" in canvas_text(chat))
    chat.screenshot("canvas-tab")

    chat.press(lambda: chat.region("header").find_elements(By.CSS_SELECTOR, "[data-tab=messages]"))
    posted = bare.run(bare.client.chat_postMessage(channel="C0CASUSDEMO", text="Veiligheidsplan"))
    bare.run(bare.client.pins_add(channel="C0CASUSDEMO", timestamp=posted["ts"]))
    chat.wait_for(lambda d: "Vastgemaakt in dit kanaal door Casusbot" in chat.text("channel"))
    assert "📌 1 vastgemaakt" in chat.text("header")


def field_error(page: ChatPage, block_id: str) -> str:
    return str(
        page.region("modal")
        .find_element(By.CSS_SELECTOR, f".b-input[data-block-id='{block_id}'] .field-error")
        .text
    )


@pytest.mark.parametrize(
    ("person", "refusal", "question"),
    [
        (
            "petra",
            "Kies een getal van 1 tot en met 10.",
            "Je hebt al iets ingevuld. Sluiten zonder op te slaan?",
        ),
        (
            "ilse",
            "Choose a number from 1 to 10.",
            "You have already filled something in. Close without saving?",
        ),
    ],
)
def test_a_half_filled_form_is_explained_and_not_lost_by_accident(
    bare: BareSandbox, chat: ChatPage, person: str, refusal: str, question: str
) -> None:
    chat.open(person)
    bare.open_form(person)
    chat.modal("Voorbereiding")
    chat.fill("score", "11")
    chat.driver.find_element(By.ID, "modal-submit").click()
    chat.wait_for(lambda d: field_error(chat, "score") == refusal)
    assert field_error(chat, "why") in ("Vul dit veld in.", "Please fill in this field.")

    chat.driver.find_element(By.ID, "modal-close").click()
    dialog = chat.wait_for(EC.visibility_of_element_located((By.ID, "confirm-overlay")))
    assert question in dialog.text
    chat.driver.find_element(By.ID, "confirm-no").click()  # keep editing: nothing is lost
    chat.wait_for(EC.invisibility_of_element_located((By.ID, "confirm-overlay")))
    assert chat.field("score").get_attribute("value") == "11"

    chat.driver.find_element(By.ID, "modal-x").click()
    chat.confirm("")
    chat.wait_for(EC.invisibility_of_element_located((By.ID, "modal-overlay")))
    assert bare.sb.user(person).modal is None
