"""A case meeting held entirely in the sandbox's chat page, as the people of the demo
workspace: register the case in the modal, plan, start, reply in the thread, steer with the
buttons, decide, end, read the summary. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

from tests.browser.conftest import need_selenium

need_selenium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402

from tests.browser.page import ChatPage  # noqa: E402

CODE = "ZVH-2026-031"
REPLY = "Moeder en twee kinderen wonen samen; vader woont sinds maart elders."
NEXT = "Volgende ▶"


def question(page: ChatPage) -> WebElement | None:
    """The thread message that holds the steering buttons now."""
    holders = page.region("thread").find_elements(
        By.XPATH, ".//div[contains(@class, 'msg')][.//button[@data-action-id='meeting_next']]"
    )
    return holders[-1] if holders else None


def question_ts(page: ChatPage) -> str | None:
    current = question(page)
    return current.get_attribute("data-ts") if current else None


def ballot(page: ChatPage) -> list[WebElement]:
    """The thread's open vote on the scale question."""
    return page.region("thread").find_elements(
        By.XPATH, ".//div[contains(@class, 'msg')][.//button[@data-action-id='vote_reveal']]"
    )


def vote(page: ChatPage) -> None:
    """The scale question opens a vote: score, then reveal (behind a confirm dialog)."""
    page.wait_for(lambda d: ballot(page))
    page.click_action("vote_6")
    page.wait_for(lambda d: "Petra van Dijk" in ballot(page)[-1].text)
    page.click_action("vote_reveal")
    page.confirm("")
    page.wait_for(lambda d: not ballot(page))


def steer_to_the_decision(page: ChatPage) -> None:
    for _ in range(20):
        if page.region("thread").find_elements(
            By.CSS_SELECTOR, "button[data-action-id='meeting_decide']"
        ):
            return
        # Read inside a wait: the page may redraw the message while we look (stale element).
        (at_scale,) = page.wait_for(
            lambda d: (q := question(page)) is not None and ("Schaalvraag" in q.text,)
        )
        if at_scale:
            vote(page)
        before = question_ts(page)
        page.click(NEXT, "thread")
        page.wait_for(lambda d, before=before: question_ts(page) not in (None, before))
    raise AssertionError("the meeting never reached the decision question")


def test_a_whole_case_meeting_in_the_browser(page: ChatPage) -> None:
    page.open("petra")
    notice = page.driver.find_element(By.ID, "notice").text
    assert "niets verlaat deze computer" in notice and "ieder" in notice
    page.sees("casus-demo", "header")

    # Register the case in the modal.
    page.type_in_channel("/casus nieuw")
    page.modal("Casus registreren")
    page.fill("code", CODE)
    page.choose("casusregisseur", "Karim El Amrani")
    page.add("participants", "Sanne de Vries", "Joost Bakker", "Ilse Jansen", "Lotte Visser")
    page.screenshot("01-register-case-modal")
    page.submit()
    page.sees(CODE)

    # Plan: the date and time pickers come filled in.
    page.type_in_channel("/casus overleg")
    page.modal("Overleg plannen")
    assert page.field("date").get_attribute("value")
    assert page.field("time").get_attribute("value")
    page.submit()

    # Start, and open the meeting's thread.
    page.click("Start overleg")
    # Planned for tomorrow: starting now asks first, privately.
    page.sees("Wil je het nu al starten?")
    page.click("Nu starten")
    page.sees(f"Casusoverleg {CODE}")
    page.open_thread()
    page.sees("Beeld van het gezin", "thread")

    # A professional answers in the thread.
    page.act_as("sanne")
    page.reply_in_thread(REPLY)
    page.sees(REPLY, "thread")
    page.screenshot("02-thread-with-reply")

    # The procesregisseur steers to the guideline's decision question and decides there, with
    # the button in the guideline's words.
    page.act_as("petra")
    steer_to_the_decision(page)
    page.sees("Zijn er nog zorgen om de directe veiligheid of kunnen we gaan werken", "thread")
    page.click_in_block(
        "decision:door_naar_risicogestuurde_zorg",
        "Indien het laatste, ga door naar de fase van risicogestuurde zorg",
    )
    page.sees("Besluit bij", "thread")
    # The note is posted first, then the question is redrawn with the decision and the choice
    # how to go on (its buttons carry the meeting's new version): straight to the Afspraken of
    # risicogestuurde zorg, where the next meeting is planned.
    page.sees("Besluit bij deze vraag:", "thread")
    page.click_in_block("onward", "Naar de Afspraken over samenwerking")
    page.sees("direct naar de Afspraken over samenwerking", "thread")

    # Ending asks for confirmation first.
    page.click("Overleg afronden", "thread")
    page.screenshot("03-confirm-end")
    page.confirm("Overleg afronden?")

    summary = page.sees(f"Verslag casusoverleg {CODE}", "thread").text
    assert REPLY in summary
    assert "door naar de fase van risicogestuurde zorg" in summary
    assert "Sanne de Vries" in summary  # mentions are shown as names
    page.screenshot("04-summary")


def test_home_tab_ephemerals_and_a_guest(page: ChatPage) -> None:
    driver = page.driver
    page.open("petra")

    # Only the person who asked sees the help answer.
    page.type_in_channel("/casus help")
    page.sees("Alleen zichtbaar voor jou")
    page.sees("Casusbot — hulp")
    page.act_as("karim")
    page.wait_for(lambda d: "Casusbot — hulp" not in page.text("channel"))

    # The home tab is published when it is opened (app_home_opened).
    page.act_as("petra")
    page.go("Casusbot — Start")
    page.sees("Welkom bij Casusbot")
    page.screenshot("05-home-tab")

    # A modal closes with its cancel button, as in Slack.
    page.go("casus-demo")
    page.type_in_channel("/casus nieuw")
    page.modal("Casus registreren")
    page.cancel()

    # A guest is not in the case channel: the page shows what they can see.
    page.act_as("gast_bram")
    sidebar = driver.find_element(By.ID, "sidebar").text
    assert "casus-demo" not in sidebar and "algemeen" in sidebar
