"""Emit a spec's frontmatter deterministically (DESIGN §4), through PyYAML's dumper.

Key order: name, description, then the documented keys of the kind in their documented order,
then pass-through `frontmatter:` keys in the order given. Block style only: an empty list or
map is left out (a flow `[]`/`{}` breaks strictyaml and the reference validator). Every result
round-trips through `yaml.safe_load` to the intended values (a test proves it).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from skillforge.engine.rules import AGENT_KEYS, SKILL_KEYS

_VERSION_LIKE = re.compile(r"^v?\d+(\.\d+)+$|^\d+$")


class _Quoted(str):
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


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, _represent_quoted)


def _tools(value: Any, separator: str) -> Any:
    if isinstance(value, str):
        return value
    if separator == " " and any(" " in t for t in value):
        return list(value)
    return separator.join(value)


def frontmatter_values(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return the frontmatter mapping of a merged spec, in emission order."""
    keys = SKILL_KEYS if kind == "skill" else AGENT_KEYS
    out: dict[str, Any] = {}
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if key == "description":
            # one double-quoted line; newlines survive as \n escapes (agents' <example> blocks)
            value = _Quoted(str(value).rstrip())
        elif key in ("allowed-tools", "disallowed-tools") and kind == "skill":
            value = _tools(value, " ")
        elif key in ("tools", "disallowedTools") and kind == "agent":
            value = _tools(value, ", ")
        out[key] = value
    for key, value in (data.get("frontmatter") or {}).items():
        out[key] = value
    return {k: v for k, v in ((k, _prune(v)) for k, v in out.items()) if not _empty(v)}


def _empty(value: Any) -> bool:
    return isinstance(value, (list, dict)) and not value


def _prune(value: Any) -> Any:
    """Drop empty lists and maps at every depth (a map holding only empty ones is empty)."""
    if isinstance(value, dict):
        kept = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not _empty(v)}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if not _empty(v)]
    return value


def emit(kind: str, data: dict[str, Any]) -> str:
    """Return the YAML text between the `---` lines, ending with a newline."""
    text: str = yaml.dump(
        frontmatter_values(kind, data),
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
        line_break="\n",
    )
    return text
