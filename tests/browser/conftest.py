"""Browser tests: the sandbox's chat page in headless Chromium, driven with selenium.

The stand-in and the real bot run on their own event loop in a background thread (selenium is
synchronous). Chromium is Debian's `chromium` + `chromium-driver`; without them these tests
skip locally, and fail when CASUSBOT_REQUIRE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from bot.config import Settings, load_settings
from bot.server import RunningBot, start_bot
from sandbox import Sandbox, Workspace
from sandbox.harness import install, sandbox_settings

if TYPE_CHECKING:
    from tests.browser.page import ChatPage

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,900",
    "--lang=nl-NL",
]
T = TypeVar("T")
FAILED = pytest.StashKey[bool]()


def _need_browser(reason: str) -> None:
    if os.environ.get("CASUSBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CASUSBOT_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_selenium() -> None:
    """For test modules that import selenium: skip them without it, or fail where required."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        _need_browser("selenium is not installed (pip install -e '.[test]')")


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not browser or not driver:
        _need_browser("Chromium is not installed (apt-get install chromium chromium-driver)")
    assert browser and driver
    return browser, driver


class LiveSandbox:
    """The stand-in and the real bot on an event loop of their own, in a daemon thread."""

    def __init__(self, settings: Settings, data_dir: Path):
        self.settings = settings
        self.data_dir = data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sb: Sandbox | None = None
        self.bot: RunningBot | None = None

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> LiveSandbox:
        self.thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.sb = Sandbox(Workspace.demo())
        await self.sb.start()
        app = install(self.sb)
        settings = sandbox_settings(
            self.settings, self.sb, app.bot_token, app.app_token, self.data_dir
        )
        self.bot = await start_bot(settings, port=0)

    @property
    def url(self) -> str:
        assert self.sb is not None
        return f"{self.sb.url}ui/"

    def stop(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        if self.sb is not None:
            await self.sb.stop()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    chromium_paths()  # no point starting the bot when no browser can look at it
    base = load_settings(
        {"CASUSBOT_DATA_DIR": str(tmp_path / "data"), "CASUSBOT_ENV": "development"}
    )
    running = LiveSandbox(base, tmp_path).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    browser, chromedriver = chromium_paths()
    need_selenium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(prefix="casusbot-chromium-")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[FAILED] = report.failed


@pytest.fixture
def page(live: LiveSandbox, driver: Any, request: pytest.FixtureRequest) -> Iterator[ChatPage]:
    """The chat page of a fresh sandbox; a failing test leaves a screenshot of what it saw."""
    from tests.browser.page import ChatPage

    chat = ChatPage(driver, live.url, ARTIFACTS)
    yield chat
    if request.node.stash.get(FAILED, False):
        chat.screenshot(f"FAILED-{request.node.name}")
