"""The dependency rules of DESIGN §2, read from the source: which package may import which,
and no module imports itself round a cycle.

Every import counts, at module level or inside a function (a function-level import hides a
cycle; it does not remove it). Imports under `if TYPE_CHECKING:` do not count: they never run,
and naming a type from a module that imports yours is no dependency at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows", "storage", "sandbox", "benchmarks")
FEATURES = (
    "cases",
    "meetings",
    "votes",
    "agreements",
    "prep",
    "home",
    "reports",
    "admin",
    "closing",
)
SURFACE = "bot.surface"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imported_names(path: Path, module: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module, names) per import: `import a.b` gives ('a.b', ()), `from a import b, c` gives
    ('a', ('b', 'c')), relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, tuple(alias.name for alias in node.names)


def module_graph(root: Path) -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    files = {
        module_name(path, root): path
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
    }

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets: set[str | None] = set()
        for base, names in imported_names(path, module):
            # `from a import b` depends on the module a.b when there is one, else on a. (That
            # a package's __init__ runs first is Python's doing, not a dependency we choose.)
            submodules = {f"{base}.{name}" for name in names} & files.keys()
            targets |= submodules if submodules else {resolve(base)}
            if len(submodules) < len(names) and submodules:
                targets.add(resolve(base))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def top(module: str) -> str:
    return module.split(".")[0]


def feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "bot" and parts[1] in FEATURES else None


def broken_rules(graph: Mapping[str, set[str]]) -> list[str]:
    entry_points = {t for t in graph.get(SURFACE, set()) if feature(t)}
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            edge = f"{module} -> {target}"
            if top(module) == "flows" and top(target) != "flows":
                problems.append(f"{edge}: flows imports no project package")
            if top(module) == "storage" and top(target) == "bot":
                problems.append(f"{edge}: storage never imports bot")
            if top(module) == "bot" and top(target) == "sandbox":
                problems.append(f"{edge}: bot never imports sandbox")
            if module.startswith("bot.kit") and feature(target):
                problems.append(f"{edge}: the kit imports no feature")
            if feature(module) and feature(target) != feature(module) and target in entry_points:
                problems.append(f"{edge}: a feature imports another feature's listeners")
    return problems


def test_the_project_follows_its_import_rules() -> None:
    graph = module_graph(ROOT)
    assert len(graph) > 100
    assert broken_rules(graph) == []


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert cycles(module_graph(ROOT)) == []


def test_the_surface_is_where_features_are_reached() -> None:
    """Each feature's listeners and senders are registered in bot/surface.py."""
    reached = {feature(t) for t in module_graph(ROOT)[SURFACE]}
    assert reached >= {"cases", "meetings", "votes", "agreements", "prep", "home", "reports"}


# ----- the checks themselves -----


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/a.py": "from bot import b\n",
            "bot/b.py": "def later():\n    from bot.a import x\n",
            "bot/c.py": "import typing\nif typing.TYPE_CHECKING:\n    from bot.a import x\n",
        },
    )
    graph = module_graph(tmp_path)
    assert cycles(graph) == [["bot.a", "bot.b"]]
    assert graph["bot.c"] == set()  # a type-only import is no edge


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        ({"flows/x.py": "from storage import models\n"}, "flows imports no project package"),
        ({"storage/x.py": "import bot.config\n"}, "storage never imports bot"),
        ({"bot/x.py": "from sandbox.runner import command\n"}, "bot never imports sandbox"),
        (
            {"bot/kit/x.py": "from bot.votes import blocks\n", "bot/votes/blocks.py": ""},
            "the kit imports no feature",
        ),
        (
            {
                "bot/surface.py": "from bot.votes import listeners\n",
                "bot/votes/listeners.py": "async def vote(turn): ...\n",
                "bot/meetings/x.py": "from bot.votes.listeners import vote\n",
            },
            "a feature imports another feature's listeners",
        ),
    ],
)
def test_each_rule_catches_its_break(tmp_path: Path, files: dict[str, str], rule: str) -> None:
    write(tmp_path, {f"{p}/__init__.py": "" for p in PACKAGES} | files)
    for name in files:
        for parent in Path(name).parents:
            if str(parent) != ".":
                (tmp_path / parent / "__init__.py").touch()
    assert [p.split(": ", 1)[1] for p in broken_rules(module_graph(tmp_path))] == [rule]
