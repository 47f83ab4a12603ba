"""The `with:` keys of the built-in section templates, read from their header comments.

Each built-in template declares its keys in its `{# ... #}` header, under `with:`, one per
line at four spaces: `name  (required)`, `name  (optional)` or
`name  (required unless other is given)`. A spec's `with:` is checked against them, so that a
typo gets "did you mean" at the spec, not an undefined value blamed on the template.
"""

from __future__ import annotations

import re

from skillforge.errors import Problem, hint

_KEY = re.compile(
    r"^( {4}| {6,})([a-z_][a-z0-9_]*)(?: or ([a-z_][a-z0-9_]*))?\s+"
    r"\((required unless (\w+) is given|required|optional|one required)\)"
)

Declared = dict[str, str | None]  # key -> None (optional), "" (required), or the alternative


class Keys:
    """The declared `with:` keys of one template, and the keys of the mappings in its lists."""

    def __init__(self) -> None:
        self.top: Declared = {}
        self.items: dict[str, Declared] = {}


def declared_keys(path: str) -> Keys | None:
    """The keys a built-in template declares, or None when its header declares none.

    Lines at four spaces are the `with:` keys; deeper ones are the keys of the mappings in the
    list above them (`steps: [{title, text}]`); `a or b  (one required)` declares a pair.
    """
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
    keys = Keys()
    parent = ""
    for line in header[header.index("  with:") + 1 :]:
        if line.strip() and not line.startswith("    "):
            break  # the end of the `with:` block
        match = _KEY.match(line)
        if not match:
            continue
        indent, name, pair, kind, unless = match.groups()
        target = keys.top if len(indent) == 4 else keys.items.setdefault(parent, {})
        if len(indent) == 4:
            parent = name
        if pair:
            target[name], target[pair] = pair, name
        else:
            target[name] = unless if unless else ("" if kind == "required" else None)
    return keys if keys.top else None


def with_problems(
    template: str, declared: Keys, given: dict[str, object], where: tuple[str, int | None]
) -> list[Problem]:
    """Unknown keys (with "did you mean") and missing required keys of one section's `with:`,
    and of the mappings in its lists."""
    problems = _check(template, declared.top, given, where, "with", "in with:")
    for key, item_keys in declared.items.items():
        value = given.get(key)
        for i, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, dict):
                at = f"{key}[{i}]"
                problems += _check(template, item_keys, item, where, f"with.{at}", f"in {at}")
    return problems


def _check(
    template: str,
    declared: Declared,
    given: dict[str, object],
    where: tuple[str, int | None],
    field: str,
    inside: str,
) -> list[Problem]:
    file, line = where
    problems: list[Problem] = []
    suggested = set()
    for key in given:
        if key in declared:
            continue
        close = hint(key, list(declared))
        if close:
            suggested.add(close.split("'")[1])
        where_key = f" {inside}" if inside != "in with:" else ""
        problems.append(
            Problem(
                file,
                line,
                f"{field}.{key}",
                f"unknown key '{key}'{where_key} for {template}{close}; its keys: "
                + ", ".join(declared),
            )
        )
    for key, other in declared.items():
        if other is None or key in given or key in suggested:
            continue
        if other:
            if other in given or other in suggested or key > other:
                continue  # one message for the pair, named in the order declared
            message = f"{template} needs '{key}' or '{other}' {inside}"
        else:
            message = f"{template} needs '{key}' {inside}"
        problems.append(Problem(file, line, field, message + " (see templates/README.md)"))
    return problems
