"""Turn a read document into a spec, and the spec into YAML that loads back to the same values.

Known keys of the kind become top-level fields, in the document's order; every other key
goes under `frontmatter:` (passed through unchanged). A skill whose `name` is not its folder
keeps both (`folder:`), an agent whose `name` is not its file stem keeps both (`file:`).
Text holding Jinja or another tool's template syntax is kept literal with `render: false`
(on the section, or at the top when a frontmatter value holds it), so nothing is
reinterpreted.
"""

from __future__ import annotations

from typing import Any

import yaml

from skillforge.engine.adopt.sections import Section, slug
from skillforge.engine.load.literal import has_jinja

# The order of a spec's fields in the YAML import writes (the rest follow, as read).
_HEAD = ("kind", "name", "folder", "file", "description")
_TAIL = ("traits", "keep-lists", "frontmatter", "render", "files", "sections")


def holds_jinja(value: Any) -> bool:
    """Whether any string in `value` holds Jinja syntax (`{{`, `{%`, `{#`)."""
    if isinstance(value, str):
        return has_jinja(value)
    if isinstance(value, dict):
        return any(holds_jinja(k) or holds_jinja(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_jinja(v) for v in value)
    return False


def spec_data(
    kind: str,
    output: str,
    values: dict[str, Any],
    known: tuple[str, ...],
    sections: list[Section],
    files: list[tuple[str, str]],
    files_dir: str,
) -> dict[str, Any]:
    """The spec of one document: `output` is its folder (skill) or file stem (agent, command)."""
    data: dict[str, Any] = {"kind": kind}
    name = values.get("name")
    data["name"] = output if name is None and kind in ("skill", "command") else name
    if isinstance(name, str) and name != output:
        data["folder" if kind == "skill" else "file"] = output
    if "description" in values:
        data["description"] = values["description"]
    front: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("name", "description"):
            continue
        if key in known:
            data[key] = value
        else:
            front[key] = value
    if front:
        data["frontmatter"] = front
    if files:
        data["files"] = [{"src": f"{files_dir}/{rel}", "dest": rel} for rel, _ in files]
    # a frontmatter value or a supporting file's path with template syntax: all kept literal
    if holds_jinja({k: v for k, v in data.items() if k != "kind"}):
        data["render"] = False
    taken: set[str] = set()
    data["sections"] = [
        _section(s, slug(s.title, taken, "intro" if i == 0 else "section"))
        for i, s in enumerate(sections)
    ]
    if not data["sections"]:
        del data["sections"]
    return data


def _section(section: Section, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sid}
    if section.title is not None:
        out["title"] = section.title
    if has_jinja(section.text) or (section.title is not None and has_jinja(section.title)):
        out["render"] = False
    out["body"] = section.text
    return out


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type, misc]
    """Block style; multi-line strings as literal blocks where YAML allows it (LibYAML's
    emitter when available: the pure-Python one costs most of an import's time)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def ordered(data: dict[str, Any]) -> dict[str, Any]:
    """The spec's fields in the order import writes them."""
    head = {k: data[k] for k in _HEAD if k in data}
    middle = {k: v for k, v in data.items() if k not in _HEAD and k not in _TAIL}
    tail = {k: data[k] for k in _TAIL if k in data}
    return head | middle | tail


def spec_text(data: dict[str, Any], comments: list[str]) -> str:
    """The YAML of a spec, after its comment lines."""
    text: str = yaml.dump(
        ordered(data),
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,
        indent=2,
    )
    return "".join(f"# {c}\n" for c in comments) + text
