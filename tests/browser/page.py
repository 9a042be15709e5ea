"""What a person does on the sandbox's chat page, in words a test reads easily.

Buttons are found by their visible label, form fields by the block they belong to, and every
wait is for something a person would see appear.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_S = 15.0


def _literal(text: str) -> str:
    """`text` as an XPath string literal (it may hold quotes)."""
    if "'" not in text:
        return f"'{text}'"
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"


class ChatPage:
    def __init__(self, driver: Any, url: str, artifacts: Path):
        self.driver = driver
        self.url = url
        self.artifacts = artifacts

    # ----- getting around -----

    def open(self, person: str) -> ChatPage:
        self.driver.get(f"{self.url}?as={person}")
        self.wait_for(lambda d: d.find_element(By.ID, "who").get_attribute("value") == person)
        return self

    def act_as(self, person: str) -> None:
        Select(self.driver.find_element(By.ID, "who")).select_by_value(person)
        self.wait_for(
            lambda d: d.find_element(By.ID, "me").text.startswith(self.person_name(person))
        )

    def person_name(self, handle: str) -> str:
        option = self.driver.find_element(By.CSS_SELECTOR, f"#who option[value='{handle}']")
        return option.text.split(" — ")[0]

    def go(self, label: str) -> None:
        self.driver.find_element(
            By.XPATH, f"//nav[@id='sidebar']//button[contains(., {_literal(label)})]"
        ).click()

    # ----- waiting and looking -----

    def wait_for(self, condition: Any, timeout: float = WAIT_S) -> Any:
        return WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.05,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(condition)

    def region(self, name: str) -> WebElement:
        ids = {
            "channel": "messages",
            "thread": "thread-messages",
            "modal": "modal",
            "header": "main-head",
        }
        return self.driver.find_element(By.ID, ids[name])

    def sees(self, text: str, where: str = "channel") -> WebElement:
        """Waits until `text` is visible in that part of the page; returns the region."""
        self.wait_for(lambda d: text in self.region(where).text)
        return self.region(where)

    def text(self, where: str = "channel") -> str:
        return self.region(where).text

    def screenshot(self, name: str) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    # ----- typing -----

    def type_in_channel(self, text: str) -> None:
        box = self.driver.find_element(By.CSS_SELECTOR, "#composer textarea")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def reply_in_thread(self, text: str) -> None:
        box = self.driver.find_element(By.CSS_SELECTOR, "#thread-composer textarea")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    # ----- buttons -----

    def buttons(self, label: str, where: str = "channel") -> list[WebElement]:
        return self.region(where).find_elements(
            By.XPATH, f".//button[@data-action-id][normalize-space(.)={_literal(label)}]"
        )

    def press(self, find: Callable[[], list[WebElement]]) -> None:
        """Clicks the last element `find` returns, once there is one. Found again if the page
        redrew it meanwhile (a stale element), as a person would simply click again."""

        def attempt(_driver: Any) -> bool:
            found = [e for e in find() if e.is_enabled()]
            if not found:
                return False
            found[-1].click()
            return True

        self.wait_for(attempt)

    def click(self, label: str, where: str = "channel") -> None:
        """Clicks the newest button with this label (the one a person would see last)."""
        self.press(lambda: self.buttons(label, where))

    def click_in_block(self, block_id: str, label: str, where: str = "thread") -> None:
        self.press(
            lambda: self.region(where).find_elements(
                By.XPATH,
                f".//*[@data-block-id={_literal(block_id)}]"
                f"//button[normalize-space(.)={_literal(label)}]",
            )
        )

    def click_action(self, action_id: str, where: str = "thread") -> None:
        """Clicks the newest element with this action id (for buttons without words)."""
        self.press(
            lambda: self.region(where).find_elements(
                By.CSS_SELECTOR, f"button[data-action-id='{action_id}']"
            )
        )

    def open_thread(self) -> None:
        """Opens the newest thread in the channel ("N antwoorden" under its parent)."""
        self.press(lambda: self.region("channel").find_elements(By.CSS_SELECTOR, ".thread-link"))
        self.wait_for(EC.visibility_of_element_located((By.ID, "thread")))

    def confirm(self, expected_title: str) -> None:
        dialog = self.wait_for(EC.visibility_of_element_located((By.ID, "confirm-overlay")))
        assert expected_title in dialog.text
        self.driver.find_element(By.ID, "confirm-yes").click()
        self.wait_for(EC.invisibility_of_element_located((By.ID, "confirm-overlay")))

    # ----- modals -----

    def modal(self, title: str) -> WebElement:
        self.wait_for(EC.visibility_of_element_located((By.ID, "modal")))
        self.wait_for(lambda d: d.find_element(By.ID, "modal-title").text == title)
        return self.region("modal")

    def field(self, block_id: str) -> WebElement:
        return self.region("modal").find_element(
            By.CSS_SELECTOR, f".b-input[data-block-id='{block_id}'] [data-action-id]"
        )

    def fill(self, block_id: str, text: str) -> None:
        element = self.field(block_id)
        element.clear()
        element.send_keys(text)

    def choose(self, block_id: str, visible_text: str) -> None:
        Select(self.field(block_id)).select_by_visible_text(visible_text)

    def add(self, block_id: str, *names: str) -> None:
        """Adds people to a multi-select, one by one, as a person picks them from the list."""
        for name in names:
            adder = self.field(block_id).find_element(By.CSS_SELECTOR, ".multi-add")
            Select(adder).select_by_visible_text(name)
            self.wait_for(lambda d, name=name: name in self.field(block_id).text)

    def submit(self) -> None:
        self.driver.find_element(By.ID, "modal-submit").click()
        self.wait_for(EC.invisibility_of_element_located((By.ID, "modal-overlay")))

    def cancel(self) -> None:
        self.driver.find_element(By.ID, "modal-close").click()
        self.wait_for(EC.invisibility_of_element_located((By.ID, "modal-overlay")))
