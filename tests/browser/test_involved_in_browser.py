"""The view of the people involved per role, recorded in the sandbox's chat page as a
procesregisseur does: a score Slack's client would refuse (11) is explained under its field in
her language, closing the half-filled form asks first, and the views land in the thread."""

from __future__ import annotations

from tests.browser.conftest import need_selenium

need_selenium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

from tests.browser.page import ChatPage  # noqa: E402
from tests.browser.test_meeting_in_browser import NEXT, question, question_ts  # noqa: E402

CODE = "ZVH-2026-032"
SCORE = "involved_score:slachtoffer"
TEXT = "involved_text:slachtoffer"


def field_error(page: ChatPage, block_id: str) -> str:
    return str(
        page.region("modal")
        .find_element(By.CSS_SELECTOR, f".b-input[data-block-id='{block_id}'] .field-error")
        .text
    )


def test_the_views_per_role_in_the_browser(page: ChatPage) -> None:
    page.open("petra")
    page.type_in_channel("/casus nieuw")
    page.modal("Casus registreren")
    page.fill("code", CODE)
    page.choose("casusregisseur", "Karim El Amrani")
    page.add("participants", "Sanne de Vries", "Joost Bakker")
    page.submit()
    page.sees(CODE)
    page.type_in_channel("/casus start")
    page.sees(f"Casusoverleg {CODE}")
    page.open_thread()

    # To the Schaalvraag: vote, reveal, then the view of the people involved.
    for _ in range(20):
        if page.region("thread").find_elements(
            By.CSS_SELECTOR, "button[data-action-id='vote_reveal']"
        ):
            break
        before = question_ts(page)
        page.click(NEXT, "thread")
        page.wait_for(lambda d, before=before: question_ts(page) not in (None, before))
    page.click_action("vote_6")
    page.click_action("vote_reveal")
    page.confirm("")
    page.click_action("family_view_open")
    page.modal("Visie van betrokkenen")
    assert "Kind 2" in page.region("modal").text

    page.fill(SCORE, "11")
    page.fill(TEXT, "Thuis nog spannend.")
    page.driver.find_element(By.ID, "modal-submit").click()
    page.wait_for(lambda d: field_error(page, SCORE) == "Kies een getal van 1 tot en met 10.")

    page.driver.find_element(By.ID, "modal-close").click()
    dialog = page.wait_for(EC.visibility_of_element_located((By.ID, "confirm-overlay")))
    assert "Sluiten zonder op te slaan?" in dialog.text
    page.driver.find_element(By.ID, "confirm-no").click()  # keep editing: nothing is lost
    page.wait_for(EC.invisibility_of_element_located((By.ID, "confirm-overlay")))
    assert page.field(TEXT).get_attribute("value") == "Thuis nog spannend."

    page.fill(SCORE, "4")
    page.submit()
    page.sees("Visie van betrokkenen", "thread")
    page.wait_for(lambda d: "Slachtoffer" in page.text("thread"))
    assert "score 4" in page.text("thread") and "Thuis nog spannend." in page.text("thread")
    assert question(page) is not None  # the meeting goes on at the Schaalvraag
    page.screenshot("involved-views")
