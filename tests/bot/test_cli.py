"""`python -m bot`: commands other packages add (the sandbox's) are found through their entry
point, loaded only when asked for, and a missing one is said in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot import cli
from tests.bot.test_config import REPO


def test_the_sandbox_command_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    assert "sandbox" in capsys.readouterr().out


def test_without_the_sandbox_installed_its_command_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "entry_points", lambda **_: [])
    assert cli.main(["sandbox", "--demo"]) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sandbox" in err and "pip install" in err


def test_running_the_bot_does_not_load_the_sandbox() -> None:
    script = (
        "import sys; from bot.cli import load_plugins; "
        "assert load_plugins(['run']) == {}; print('sandbox' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
