"""Plain substitutions, rendered and analysed without Jinja2: text with `{{ vars.topic }}`.

An edited section body is new source: Jinja2 would have to be imported, and the body lexed,
parsed and compiled, to render one line of text with two values in it. A body that is only
text and `{{ root.field.field }}` expressions (a context root, then dict keys) is rendered
here to the text the sandbox gives (tests/test_substitute.py compares the two): each value
is the dict's item the compiled code reads in place (codegen.py's `visit_Getattr`), written
with `str()`; the text around them is Jinja2's, with its one trailing newline dropped
(`keep_trailing_newline = False`). Anything else (a block, a comment, a filter, a value
that is not a str or an int, a missing key, a `\\r`, odd spacing) answers None, and the body
goes through Jinja2 as before, which renders it or says what is wrong.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# The names the render context of a section gives its template (render.py `_section`).
CONTEXT_ROOTS = frozenset(("spec", "vars", "section", "project", "target"))
# A dict's attributes: `d.items` is the method, not the item (codegen.py's DICT_NAMES).
_DICT_NAMES = frozenset(dir(dict))
_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_REST = _FIRST | frozenset("0123456789")
_SPACE = " \t\n"
# Parsed sources kept per process (an edit parses its body twice: analysis, then render).
_PARSED: dict[str, list[Any] | None] = {}
_MAX_PARSED = 256

Part = str | tuple[str, ...]


def _name(word: str) -> bool:
    return bool(word) and word[0] in _FIRST and all(c in _REST for c in word)


def parse(source: str) -> list[Part] | None:
    """The parts of a plain substitution source: texts, and the dotted path of each `{{ }}`
    (the root, then at least one key); None when the source holds anything else."""
    if source in _PARSED:
        return _PARSED[source]
    parts = _parse(source)
    if len(_PARSED) >= _MAX_PARSED:
        _PARSED.clear()
    _PARSED[source] = parts
    return parts


def _parse(source: str) -> list[Part] | None:
    if "{%" in source or "{#" in source or "\r" in source:
        return None
    if source.endswith("\n"):
        source = source[:-1]  # keep_trailing_newline = False: Jinja2 drops one
    parts: list[Part] = []
    at = 0
    while True:
        start = source.find("{{", at)
        if start == -1:
            parts.append(source[at:])
            return parts
        end = source.find("}}", start + 2)
        if end == -1:
            return None
        path = tuple(source[start + 2 : end].strip(_SPACE).split("."))
        if len(path) < 2 or path[0] not in CONTEXT_ROOTS or not all(map(_name, path)):
            return None
        if any(key in _DICT_NAMES for key in path[1:]):
            return None  # `vars.items`: the method, through the sandbox
        parts.append(source[at:start])
        parts.append(path)
        at = end + 2


def reach(source: str, roots: tuple[str, ...]) -> dict[str, tuple[str, ...]] | None:
    """What `analysis.analyse` finds a plain substitution source reaches (None for any other
    source): the keys read first of each of `roots`, sorted; it includes no template."""
    parts = parse(source)
    if parts is None:
        return None
    found: dict[str, set[str]] = {}
    for part in parts:
        if type(part) is tuple and part[0] in roots:
            found.setdefault(part[0], set()).add(part[1])
    return {k: tuple(sorted(v)) for k, v in sorted(found.items())}


def render(source: str, context: dict[str, Any], max_size: int) -> str | None:
    """The text of a plain substitution source in `context`; None when it is not one, when
    a value is not there or is not a str or an int, or the text is over `max_size`."""
    parts = parse(source)
    if parts is None:
        return None
    out: list[str] = []
    for part in parts:
        if type(part) is str:
            out.append(part)
            continue
        value = context.get(part[0])
        for key in part[1:]:
            if type(value) is not dict or key not in value:
                return None
            value = value[key]
        if type(value) is str:
            out.append(value)
        elif type(value) is int or type(value) is bool:
            out.append(str(value))
        else:
            return None
    text = "".join(out)
    return text if len(text) <= max_size else None


# What the built-in layouts (templates/base/*.md.j2) hold after their comment: "---", the
# frontmatter, "---", a blank line, the sections a blank line apart, a newline. A layout
# with this source is laid out without Jinja2 (render.py `_lay_out`).
LAYOUT = '---\n{{ frontmatter }}---\n\n{{ sections|join("\\n\\n") }}{{ "\\n" }}'


def plain_layout(source: str | None) -> bool:
    """Whether a layout's source is `LAYOUT`, after one `{# ... #}` comment (and the newline
    `trim_blocks` drops after it) and before at most one newline (which Jinja2 drops)."""
    if source is None:
        return False
    if source.startswith("{#"):
        end = source.find("#}")
        comment = source[2:end]
        if end == -1 or not comment or comment[0] in "-+" or comment[-1] in "-+":
            return False
        source = source[end + 2 :]
        source = source[1:] if source.startswith("\n") else source
    return source in (LAYOUT, LAYOUT + "\n")
