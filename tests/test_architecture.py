"""The shape of the package (DESIGN §9): one direction of imports, no circles, small modules.

Every import counts: at module level, inside functions and under `if TYPE_CHECKING`, because
a circle hidden in a function is still a circle for a reader (and for mypy).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import skillforge

PACKAGE = Path(skillforge.__file__).parent

# Imports go one way, down this list; folders on one line are siblings and may not import
# each other's layer above. `errors.py` (and the package's `__init__`) may be imported by all.
LAYERS = [("cli",), ("commands",), ("engine",), ("cache", "targets"), ("report",), ("state",)]
MAX_LINES = 450
MAX_MODULES = 20  # per folder, `__init__.py` included
ONLY_IN = {"typer": "cli", "rich": "report"}  # a third-party package and the folder it lives in

# Accepted violations: none since the redesign (issue 11). The test fails on any; a change that
# needs one must say why here (a circle may only shrink, nothing else may be added).
KNOWN_VIOLATIONS: dict[str, list[str]] = {"circles": [], "upward": [], "long": [], "crowded": []}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, name: str, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """The skillforge modules and the other top-level packages that `path` imports, anywhere."""
    ours: set[str] = set()
    others: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from skillforge.report import model` imports a module; `from x import name` not
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            if target == "skillforge" or target.startswith("skillforge."):
                ours.add(target)
            else:
                others.add(target.partition(".")[0])
    ours.discard(name)
    return ours, others


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, name, known)[0] for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected sets of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in edges), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


def short(name: str) -> str:
    return name.removeprefix("skillforge.")


def layer(name: str) -> int | None:
    """The rank of a module's folder in LAYERS; None for top-level modules (`errors`)."""
    parts = name.split(".")
    if len(parts) < 3:
        return None
    return next((rank for rank, folders in enumerate(LAYERS) if parts[1] in folders), None)


def test_the_graph_sees_imports_in_functions_and_under_type_checking() -> None:
    edges = graph()
    assert "skillforge.commands.build" in edges["skillforge.cli.main"]  # inside a function
    assert "skillforge.report.reporter" in edges["skillforge.engine.build"]  # TYPE_CHECKING
    assert len(edges) > 40


def test_no_new_import_circles() -> None:
    known = [set(f"skillforge.{m}" for m in c.split()) for c in KNOWN_VIOLATIONS["circles"]]
    new = [c for c in circles(graph()) if not any(c <= k for k in known)]
    assert not new, "import circles: " + "; ".join(" ".join(sorted(map(short, c))) for c in new)


def test_imports_go_down_the_layers() -> None:
    upward = [
        f"{short(a)} -> {short(b)}"
        for a, targets in graph().items()
        for b in targets
        if (la := layer(a)) is not None and (lb := layer(b)) is not None and lb < la
    ]
    new = sorted(set(upward) - set(KNOWN_VIOLATIONS["upward"]))
    assert not new, f"imports against the layers {LAYERS}: {new}"


def test_top_level_modules_import_no_layer() -> None:
    """`errors.py` sits below every folder: it may be imported by all, so it imports none."""
    edges = graph()
    for name in ("skillforge", "skillforge.errors"):
        assert not {m for m in edges[name] if layer(m) is not None}, name


def test_modules_are_short() -> None:
    long = []
    for path in modules().values():
        rel = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in KNOWN_VIOLATIONS["long"]:
            long.append(f"{rel} ({lines} lines)")
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_folders_are_small() -> None:
    counts: dict[str, int] = defaultdict(int)
    for path in modules().values():
        counts[path.parent.relative_to(PACKAGE).as_posix()] += 1
    crowded = [
        f"{folder} ({n} modules)"
        for folder, n in counts.items()
        if n > MAX_MODULES and folder not in KNOWN_VIOLATIONS["crowded"]
    ]
    assert not crowded, f"folders over {MAX_MODULES} modules: {crowded}"


def test_typer_only_in_the_cli_and_rich_only_in_reporters() -> None:
    known = modules()
    misplaced = []
    for name, path in known.items():
        folder = name.split(".")[1] if name.count(".") >= 2 else ""
        for package in imports(path, name, known)[1]:
            if package in ONLY_IN and folder != ONLY_IN[package]:
                misplaced.append(f"{short(name)} imports {package}")
    assert not misplaced, misplaced
