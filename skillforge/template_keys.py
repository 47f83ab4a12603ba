"""The `with:` keys of the built-in section templates, read from their header comments.

Each built-in template declares its keys in its `{# ... #}` header, under `with:`, one per
line at four spaces: `name  (required)`, `name  (optional)` or
`name  (required unless other is given)`. A spec's `with:` is checked against them, so that a
typo gets "did you mean" at the spec, not an undefined value blamed on the template.
"""

from __future__ import annotations

import re

from skillforge.errors import Problem

_KEY = re.compile(
    r"^    ([a-z_][a-z0-9_]*)\s+\((required unless (\w+) is given|required|optional)\)"
)

Declared = dict[str, str | None]  # key -> None (optional), "" (required), or the alternative


def declared_keys(path: str) -> Declared | None:
    """The keys a built-in template declares, or None when its header declares none."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(8192)
    except OSError:
        return None
    if not text.startswith("{#") or "#}" not in text:
        return None
    header = text[2 : text.index("#}")].splitlines()
    if "  with:" not in header:
        return None
    keys: Declared = {}
    for line in header[header.index("  with:") + 1 :]:
        if line.strip() and not line.startswith("    "):
            break  # the end of the `with:` block
        match = _KEY.match(line)
        if match:
            name, kind, other = match.groups()
            keys[name] = other if other else ("" if kind == "required" else None)
    return keys or None


def with_problems(
    template: str, declared: Declared, given: dict[str, object], where: tuple[str, int | None]
) -> list[Problem]:
    """Unknown keys (with "did you mean") and missing required keys of one section's `with:`."""
    from skillforge.rules import hint

    file, line = where
    problems: list[Problem] = []
    suggested = set()
    for key in given:
        if key in declared:
            continue
        close = hint(key, list(declared))
        if close:
            suggested.add(close.split("'")[1])
        problems.append(
            Problem(
                file,
                line,
                f"with.{key}",
                f"unknown key '{key}' for {template}{close}; its keys: {', '.join(declared)}",
            )
        )
    for key, other in declared.items():
        if other is None or key in given or key in suggested:
            continue
        if other:
            if other in given or other in suggested or key > other:
                continue  # one message for the pair, named in the order declared
            message = f"{template} needs '{key}' or '{other}' in with:"
        else:
            message = f"{template} needs '{key}' in with:"
        problems.append(Problem(file, line, "with", message + " (see templates/README.md)"))
    return problems
