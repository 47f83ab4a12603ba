"""`skillforge new skill|agent|command NAME`: write a spec from a starter, then build it.

The starter is the project's `<first spec folder>/_starters/<kind>.yaml` when there is one
(folders starting with `_` are never built), else the built-in one in skillforge/starters/.
`${name}` in a starter is replaced by NAME (`$$` is a literal `$`). The spec goes to
`<first spec folder>/<NAME>.yaml` with a first line that points editors at the project's copy
of the schema; nothing is ever overwritten.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

from skillforge.commands.project import project_config
from skillforge.commands.schema import modeline, write_project_copies
from skillforge.engine.load.schema import KINDS, OUTPUT_NAME_MAX, SLUG
from skillforge.errors import UsageError
from skillforge.report.plain import PlainReporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from skillforge.commands.options import NewOptions
    from skillforge.engine.load.config import Config

NEW_KINDS = ("skill", "agent", "command")
STARTERS = Path(__file__).resolve().parent.parent / "starters"
PROJECT_STARTERS = "_starters"


def new_command(options: NewOptions, config_file: str | None, stream: IO[str] | None = None) -> int:
    """Write the spec, say so, and build it (a kind this version cannot build yet: not)."""
    kind, name = options.kind or "", options.name or ""
    if kind not in NEW_KINDS:
        raise UsageError(f"new: the kind must be one of {', '.join(NEW_KINDS)}, not '{kind}'")
    check_name(name)
    config = project_config(config_file)
    folder = config.specs[0]
    target = folder / f"{name}.yaml"
    _refuse_existing(config, name, target)
    traits = [t.strip() for t in (options.traits or "").split(",") if t.strip()]
    _check_traits(config, traits)
    if options.extends is not None:
        _check_base(config, folder, options.extends)
    starter = starter_path(config, kind)
    text = render_starter(starter, name, options.extends, traits)
    reporter = PlainReporter(stream)
    for rel, written in write_project_copies(config.root):
        if written:
            reporter.say(f"created {rel}")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(modeline(target, config.root) + text)
    source = config.rel(starter) if starter.is_relative_to(config.root) else "the built-in starter"
    reporter.say(f"created {config.rel(target)} (from {source})")
    if kind not in KINDS:
        reporter.say(f"not built: this version of skillforge builds {' and '.join(KINDS)} specs")
        return 0
    from skillforge.commands.build import build_command
    from skillforge.engine.options import BuildOptions

    build = BuildOptions(paths=[str(target)], lock_timeout=options.lock_timeout)
    build.verbose = options.verbose
    return build_command(build, config_file, stream=stream)


def check_name(name: str) -> None:
    """NAME must be a slug of at most 64 characters (exit 2 otherwise)."""
    if not SLUG.match(name):
        raise UsageError(
            f"new: the name {name!r} must be lowercase letters, digits and single hyphens "
            "(e.g. 'pdf-tools')"
        )
    if len(name) > OUTPUT_NAME_MAX:
        raise UsageError(f"new: the name is {len(name)} characters; the limit is {OUTPUT_NAME_MAX}")


def starter_path(config: Config, kind: str) -> Path:
    """The project's starter for `kind` when it has one, else the built-in one."""
    for folder in config.specs:
        own = folder / PROJECT_STARTERS / f"{kind}.yaml"
        if own.is_file():
            return own
    return STARTERS / f"{kind}.yaml"


def render_starter(starter: Path, name: str, extends: str | None, traits: list[str]) -> str:
    """The starter's text with NAME filled in, and `extends:`/`traits:` set when given."""
    try:
        raw = starter.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{starter}: cannot read the starter ({exc})") from None
    text = string.Template(raw).safe_substitute(name=name)
    lines = text.splitlines(keepends=True)
    if traits:
        _set_key(lines, "traits", f"[{', '.join(traits)}]")
    if extends is not None:
        _set_key(lines, "extends", extends)
    return "".join(lines)


def _set_key(lines: list[str], key: str, value: str) -> None:
    """Replace the top-level `key:` line, or add one after the `name:` line."""
    new = f"{key}: {value}\n"
    for i, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            lines[i] = new
            return
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("name:")), len(lines))
    lines.insert(at, new)


def _refuse_existing(config: Config, name: str, target: Path) -> None:
    if os.path.lexists(target):
        raise UsageError(
            f"{config.rel(target)}: already exists; new never overwrites (pick another name, "
            "or edit that spec)"
        )
    from skillforge.engine.start import scan_project

    for spec in scan_project(config).specs:
        if Path(spec).stem == name:
            raise UsageError(f"{spec}: a spec called {name} already exists; pick another name")


def _check_traits(config: Config, traits: list[str]) -> None:
    known: set[str] = set()
    for folder in config.traits:
        if folder.is_dir():
            known.update(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    for trait in traits:
        if trait not in known:
            from skillforge.errors import hint

            listed = ", ".join(sorted(known)) or "none"
            raise UsageError(
                f"new: no trait '{trait}'{hint(trait, sorted(known))} (the traits: {listed})"
            )


def _check_base(config: Config, folder: Path, base: str) -> None:
    path = (folder / base).resolve()
    if not path.is_file():
        raise UsageError(f"new: --extends {base}: no such file (relative to {config.rel(folder)}/)")
    if not path.is_relative_to(config.root):
        raise UsageError(f"new: --extends {base}: outside the project")
