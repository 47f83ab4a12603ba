"""`render: false` at the top of a spec, base or trait: strings kept as written (DESIGN §3).

`mark_literal` tags a layer's strings `Verbatim` before the merge (so a deep merge keeps each
value's origin) and `take_literal` collects the tagged paths after it. Rendering the other
strings is `strings.py`'s. No Jinja2 here: the spec loader imports this module.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


Path = tuple[str | int, ...]
# Top-level fields whose strings are no output text, or are rendered elsewhere (`sections`
# bodies are sections; `vars` are the context itself).
NOT_TEXT = frozenset({"kind", "name", "folder", "file", "vars", "render", "extends", "traits"})


def has_jinja(text: str) -> bool:
    """True when `text` holds Jinja syntax (`{{`, `{%` or `{#`)."""
    return "{" in text and ("{{" in text or "{%" in text or "{#" in text)


class Verbatim(str):
    """A string set by a file with `render: false`: written as it is, never rendered."""

    __slots__ = ()


def mark_literal(layer: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a `render: false` layer whose text is tagged `Verbatim`."""
    out: dict[str, Any] = {}
    for key, value in layer.items():
        if key == "sections" and isinstance(value, list):
            # a section keeps its origin whole (sections replace by id), so its own flag says it
            out[key] = [
                {**s, "render": False} if isinstance(s, dict) and "render" not in s else s
                for s in value
            ]
        elif key in NOT_TEXT:
            out[key] = value
        else:
            out[key] = _tag(value)
    return out


def _tag(value: Any) -> Any:
    if isinstance(value, str):
        return Verbatim(value)
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    return value


def take_literal(merged: dict[str, Any]) -> frozenset[Path]:
    """Replace the `Verbatim` strings of a merged spec by plain ones; return their paths."""
    found: set[Path] = set()

    def untag(value: Any, path: Path) -> Any:
        if isinstance(value, Verbatim):
            found.add(path)
            return str.__str__(value)
        if isinstance(value, dict):
            return {k: untag(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [untag(v, (*path, i)) for i, v in enumerate(value)]
        return value

    for key in list(merged):
        if key not in NOT_TEXT and key != "sections":
            merged[key] = untag(merged[key], (key,))
    return frozenset(found)
