"""`skillforge templates [--eject NAME]`: the built-in templates, or one copied into the project.

Everything listed comes from each template's header comment, the source templates/README.md
documents too: the first line says what it is, the `with:` block its keys (read by
`engine/load/template_keys.py`, the same reader that checks a spec's `with:`), `Args:` a
fragment's arguments, and `Example:` one use. `--eject` copies a built-in into the project's
first templates folder, where it overrides the built-in; it never overwrites a file.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from skillforge.errors import UsageError, hint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from skillforge.commands.options import TemplatesOptions

GROUPS = ("sections", "fragments", "base")
_ARG = re.compile(r"^ {4}([a-z_][a-z0-9_]*)\s+\((required|optional)\)")


def builtin_dir() -> Path:
    from skillforge.state.inventory import builtin_templates_dir

    return Path(builtin_templates_dir())


def template_names() -> list[str]:
    """Every built-in template, as a spec names it (`sections/steps.md.j2`)."""
    root = builtin_dir()
    found = [p.relative_to(root) for p in root.rglob("*.j2")]
    return [
        p.as_posix()
        for p in sorted(found, key=lambda p: (GROUPS.index(p.parts[0]), p.as_posix()))
        if p.parts[0] in GROUPS
    ]


def describe(name: str) -> dict[str, Any]:
    """What one built-in template's header says: summary, keys (or args), example."""
    from skillforge.engine.load.template_keys import declared_keys

    path = builtin_dir() / name
    text = path.read_text(encoding="utf-8")
    header = text[2 : text.index("#}")] if text.startswith("{#") and "#}" in text else ""
    lines = [line.strip() for line in header.splitlines() if line.strip()]
    summary = lines[0] if lines else ""
    if ":" in summary and summary.split(":", 1)[0] == Path(name).name.split(".")[0]:
        summary = summary.split(":", 1)[1].strip()
    example = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Example:")), "")
    keys: list[dict[str, Any]] = []
    declared = declared_keys(str(path))
    if declared is not None:
        for key, other in declared.top.items():
            required = other is not None
            entry: dict[str, Any] = {"key": key, "required": required}
            if other:
                entry["unless"] = other
            if key in declared.items:
                entry["items"] = list(declared.items[key])
            keys.append(entry)
    elif "  Args:" in header.splitlines():
        block = header.splitlines()
        for line in block[block.index("  Args:") + 1 :]:
            if line.strip() and not line.startswith("    "):
                break
            match = _ARG.match(line)
            if match:
                keys.append({"key": match.group(1), "required": match.group(2) == "required"})
    kind = name.split("/", 1)[0]
    return {
        "name": name,
        "kind": {"sections": "section", "fragments": "fragment", "base": "layout"}[kind],
        "summary": summary,
        "keys": keys,
        "example": example,
    }


def templates_command(
    options: TemplatesOptions, config_file: str | None, stream: IO[str] | None = None
) -> int:
    """List the built-in templates, or eject one."""
    from skillforge.report.plain import write_line

    out = stream or sys.stdout
    if options.eject is not None:
        write_line(eject(options.eject, config_file), out)
        return 0
    write_line("\n".join(render(describe(n) for n in template_names())), out)
    return 0


def render(templates: Any) -> list[str]:
    """Plain text: a heading per group, then each template with its keys and example."""
    lines: list[str] = []
    group = ""
    for info in templates:
        if info["kind"] != group:
            group = info["kind"]
            if lines:
                lines.append("")
            lines.append(f"{group}s:" if group != "layout" else "layouts:")
        lines.append(f"  {info['name']}  {info['summary']}")
        if info["keys"]:
            label = "with" if info["kind"] == "section" else "args"
            lines.append(f"      {label}: " + ", ".join(_key(k) for k in info["keys"]))
        if info["example"]:
            lines.append(f"      e.g. {info['example']}")
    lines += [
        "",
        "required keys are starred (* one of a pair); templates/README.md has the details; "
        "`skillforge templates --eject NAME` copies one into your templates folder",
    ]
    return lines


def _key(entry: dict[str, Any]) -> str:
    text = str(entry["key"]) + ("*" if entry["required"] else "")
    if entry.get("items"):
        text += " [" + ", ".join(entry["items"]) + "]"
    return text


def eject(given: str, config_file: str | None) -> str:
    """Copy the built-in template `given` into the project; return what was done."""
    from skillforge.commands.project import project_config

    names = template_names()
    name = given if given in names else _short(given, names)
    config = project_config(config_file)
    folder = config.templates[0]
    target = folder / name
    shown = config.rel(target)
    if os.path.lexists(target):
        raise UsageError(
            f"{shown}: already exists; --eject never overwrites (it already overrides the "
            "built-in; remove it first to eject a fresh copy)"
        )
    data = (builtin_dir() / name).read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return (
        f"created {shown} (a copy of the built-in {name}; it now overrides the built-in, "
        "and its with: keys are no longer checked)"
    )


def _short(given: str, names: list[str]) -> str:
    """`steps` or `sections/steps` for `sections/steps.md.j2`."""
    found = [
        n for n in names if n.removesuffix(".md.j2") == given or Path(n).name.split(".")[0] == given
    ]
    if len(found) == 1:
        return str(found[0])
    if found:
        raise UsageError(f"--eject {given}: several templates match ({', '.join(found)})")
    raise UsageError(
        f"--eject {given}: no built-in template of that name"
        f"{hint(given, [Path(n).name.split('.')[0] for n in names])}; "
        "`skillforge templates` lists them"
    )
