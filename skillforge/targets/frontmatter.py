"""Write a YAML frontmatter mapping deterministically (DESIGN §4), as PyYAML's dumper would.

Block style only, no aliases, no line folding; a string that is not printable is written
double-quoted with escapes, a multi-line one as a literal block, a version-like one quoted.
The targets that write Markdown with YAML frontmatter share it; each decides the mapping.
The values heads are made of are written directly (`_direct`); PyYAML is imported only for
the others.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_VERSION_LIKE = re.compile(r"^v?\d+(\.\d+)+$|^\d+$")


class Quoted(str):
    """A string that must be written double-quoted on one line."""


def _dumper() -> Any:
    """PyYAML's dumper as heads are written (block style, no aliases, no line folding;
    LibYAML's emitter when available), made on first use: most heads never need PyYAML
    (`_direct`), and importing it is a tenth of a one-section edit."""
    global _DUMPER
    if _DUMPER is not None:
        return _DUMPER
    import yaml

    base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[valid-type, misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        if not value.replace("\n", "").isprintable():
            # control characters and Unicode line separators survive only as escapes
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
        if "\n" in value:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
        if _VERSION_LIKE.match(value):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    def represent_quoted(dumper: yaml.SafeDumper, value: Quoted) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(Quoted, represent_quoted)
    _DUMPER = Dumper
    return Dumper


_DUMPER: Any = None


def prune(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty lists and maps at every depth (a flow `[]`/`{}` breaks strict readers)."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, (list, dict)):
            value = _prune(value)
            if not value:
                continue
        kept[key] = value
    return kept


def _prune(value: list[Any] | dict[Any, Any]) -> list[Any] | dict[Any, Any]:
    """A list or map without its empty lists and maps, at every depth (scalars as they are)."""
    if isinstance(value, dict):
        return prune(value)
    items: list[Any] = []
    for item in value:
        if isinstance(item, (list, dict)):
            item = _prune(item)
            if not item:
                continue
        items.append(item)
    return items


# dump's answers by the exact value (types included), so that targets writing the same
# mapping emit it once; cleared when full
_MEMO: dict[tuple[Any, ...], str] = {}
_MEMO_MAX = 4096


def _frozen(value: Any) -> tuple[Any, ...] | None:
    """A hashable key that tells apart every value dump writes differently (`True` from `1`,
    a `Quoted` from a plain string), or None for a value of any other type."""
    kind = type(value)
    if kind is str or kind is Quoted or kind is int or kind is bool or value is None:
        return (kind.__name__, value)
    if kind is float:
        return ("float", repr(value))
    if kind is list:
        items = [_frozen(v) for v in value]
        return None if None in items else ("list", *items)
    if kind is dict:
        pairs = [(_frozen(k), _frozen(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return ("dict", *pairs)
    return None


def dump(values: dict[str, Any]) -> str:
    """Return the YAML text of `values` in their order, ending with a newline."""
    lines: list[str] = []
    if values and _direct(values, "", lines):
        return "".join(lines)
    key = _frozen(values)
    if key is not None:
        found = _MEMO.get(key)
        if found is not None:
            return found
    text = _dump(values)
    if key is not None:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = text
    return text


# -- the direct emitter: PyYAML's exact bytes for the values heads are made of ---------------
#
# A value it is not sure of makes `_direct` answer False, and PyYAML writes the whole mapping;
# tests/test_frontmatter.py compares both on generated values. What it writes directly:
# - a plain string: ASCII, a letter first, words of the characters below, one space between
#   words, a colon never last nor before a space (so no YAML indicator), and not a word a YAML
#   1.1 resolver reads as a bool or a null (`yes`, `Off`, `null`): PyYAML writes these plain;
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_.()*,/+-]*(?:[ :][A-Za-z0-9_.()*,/+-]+)*")
_RESERVED = frozenset(
    ("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~")  # lower-cased
)
# - a double-quoted string (a `Quoted`, a version-like string) whose characters LibYAML writes
#   as they are with `allow_unicode`: printable ASCII and the printable BMP characters of
#   LibYAML's IS_PRINTABLE, less the line and paragraph separators (escaped) and the BOM;
#   only `"`, `\`, a tab and a line feed are escaped then (as `\"`, `\\`, `\t`, `\n`);
_QUOTABLE = re.compile("[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
# - a key: a plain word (a simple key, well under LibYAML's 128 characters);
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
# - a bool, an int, None; a non-empty mapping of these (indented two spaces) and a non-empty
#   list of scalars (LibYAML's block sequence inside a mapping is not indented).


def _scalar(value: Any) -> str | None:
    """The text of a scalar as PyYAML writes it here, or None when unsure."""
    kind = type(value)
    if kind is str or kind is Quoted:
        # the targets of a spec write the same strings (its name, its description, its tools)
        memo = _STR_TEXTS if kind is str else _QUOTED_TEXTS
        found = memo.get(value, _UNSEEN)
        if found is _UNSEEN:
            found = _string(value, kind is Quoted)
            if len(memo) >= _TEXTS_MAX:
                memo.clear()
            memo[value] = found
        return found  # type: ignore[return-value]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    return None


# `_string`'s answers by the exact string, a plain one and a `Quoted` one apart (equal strings
# of the two kinds are written differently); each is cleared when full
_STR_TEXTS: dict[str, str | None] = {}
_QUOTED_TEXTS: dict[str, str | None] = {}
_TEXTS_MAX = 8192
_UNSEEN = object()


def _string(value: str, quoted: bool) -> str | None:
    """`_scalar` of a string (`quoted`: a `Quoted` one)."""
    if quoted or ("\n" not in value and _VERSION_LIKE.match(value)):
        if not (value.isascii() and value.isprintable()) and _QUOTABLE.fullmatch(value) is None:
            return None  # (printable ASCII is 0x20-0x7e: no regex needed)
        text = value.replace("\\", "\\\\").replace('"', '\\"')
        if "\n" in text or "\t" in text:
            text = text.replace("\n", "\\n").replace("\t", "\\t")
        return f'"{text}"'
    if _PLAIN.fullmatch(value) is None or value.lower() in _RESERVED:
        return None
    return value


_KEYS_SEEN: set[str] = set()  # keys `_direct` found it writes plain (exact `str` only)


def _direct(values: dict[str, Any], indent: str, lines: list[str]) -> bool:
    """Append the block mapping `values` to `lines`; False when PyYAML must write it."""
    for key, value in values.items():
        if type(key) is not str:
            return False
        if key not in _KEYS_SEEN:
            if _KEY.fullmatch(key) is None or key.lower() in _RESERVED:
                return False
            if len(_KEYS_SEEN) < _TEXTS_MAX:
                _KEYS_SEEN.add(key)  # a key written plain: no need to look at it again
        kind = type(value)
        if kind is dict:
            if not value:
                return False
            lines.append(f"{indent}{key}:\n")
            if not _direct(value, indent + "  ", lines):
                return False
        elif kind is list:
            if not value:
                return False
            lines.append(f"{indent}{key}:\n")
            for item in value:
                text = _scalar(item)
                if text is None:
                    return False
                lines.append(f"{indent}- {text}\n")
        else:
            text = _scalar(value)
            if text is None:
                return False
            lines.append(f"{indent}{key}: {text}\n")
    return True


def _dump(values: dict[str, Any]) -> str:
    import yaml

    text: str = yaml.dump(
        values,
        Dumper=_dumper(),
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
        line_break="\n",
    )
    return text
