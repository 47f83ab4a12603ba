"""Write a YAML frontmatter mapping deterministically (DESIGN §4), through PyYAML's dumper.

Block style only, no aliases, no line folding; a string that is not printable is written
double-quoted with escapes, a multi-line one as a literal block, a version-like one quoted.
The targets that write Markdown with YAML frontmatter share it; each decides the mapping.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_VERSION_LIKE = re.compile(r"^v?\d+(\.\d+)+$|^\d+$")


class Quoted(str):
    """A string that must be written double-quoted on one line."""


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type, misc]
    """Block style, no aliases, no line folding; LibYAML's emitter when available."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if not value.replace("\n", "").isprintable():
        # control characters and Unicode line separators survive only as escapes
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _VERSION_LIKE.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_quoted(dumper: yaml.SafeDumper, value: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Quoted, _represent_quoted)


def prune(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty lists and maps at every depth (a flow `[]`/`{}` breaks strict readers)."""
    return {k: v for k, v in ((k, _prune(v)) for k, v in values.items()) if not _empty(v)}


def _empty(value: Any) -> bool:
    return isinstance(value, (list, dict)) and not value


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not _empty(v)}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if not _empty(v)]
    return value


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


def _dump(values: dict[str, Any]) -> str:
    text: str = yaml.dump(
        values,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
        line_break="\n",
    )
    return text
