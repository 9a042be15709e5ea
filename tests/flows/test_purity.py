"""flows/ is the pure core (DESIGN §2): the standard library, a YAML reader and python-stdnum
(checksums of BSN and IBAN, no I/O) — nothing that talks to Slack, a database or the bot."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FLOWS = Path(__file__).resolve().parents[2] / "flows"
ALLOWED = set(sys.stdlib_module_names) | {"yaml", "stdnum", "flows"}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_flows_imports_only_the_standard_library_yaml_and_stdnum() -> None:
    files = sorted(FLOWS.glob("*.py"))
    assert len(files) > 5
    offending = {
        path.name: sorted(imported_modules(path) - ALLOWED)
        for path in files
        if imported_modules(path) - ALLOWED
    }
    assert offending == {}


def test_the_check_itself_catches_a_slack_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "import json\nfrom stdnum.nl import bsn\nfrom slack_sdk import WebClient\n"
        "import sqlalchemy\nfrom bot.i18n import t\nfrom . import x\n"
    )
    assert imported_modules(module) - ALLOWED == {"slack_sdk", "sqlalchemy", "bot"}
