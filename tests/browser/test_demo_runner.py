"""`python -m bot sandbox --demo` as a person starts it: a case with history, served as a page
on 127.0.0.1 until Ctrl-C. No browser needed: the page's own state endpoint is read."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.conftest import REPO

STARTUP_S = 90.0


def _read_url(process: subprocess.Popen[str]) -> str:
    """The page's address from the banner, once the demo is ready."""
    deadline = time.monotonic() + STARTUP_S
    assert process.stdout is not None
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"Open in je browser:\s+(http://127\.0\.0\.1:\d+/ui/)", line)
        if found:
            return found.group(1)
    process.wait(timeout=10)
    errors = process.stderr.read() if process.stderr else ""
    raise AssertionError("no page address in:\n" + "".join(seen) + errors[-3000:])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_demo_serves_the_page_with_a_case_that_had_a_meeting(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--demo", "--port", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _read_url(process)
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "niets verlaat deze computer" in page

        seen = _get(f"{url}api/state?user=petra&channel=casus-demo")
        shown = json.dumps(seen["conversation"], ensure_ascii=False)
        assert "Casusoverleg ZVH-2026-014" in shown
        assert "Start overleg" in shown  # the next meeting is planned, ready to start
        meeting = next(m for m in seen["conversation"]["messages"] if m.get("reply_count", 0) > 5)
        thread = _get(f"{url}api/state?user=petra&channel=casus-demo&thread={meeting['ts']}")
        replies = json.dumps(thread["thread"]["replies"], ensure_ascii=False)
        assert "Verslag casusoverleg ZVH-2026-014" in replies
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert "Traceback" not in err
