"""`skillforge show SPEC [--target T] [--merged]`: one spec rendered (or merged) on stdout.

Writes nothing, not even in the cache folder: the spec is rendered in memory through a
read-only view of the cache (`cache/readonly.py`, as `check` does), the token counter does
not save, and no lock is taken. The documents printed are the bytes `build` would write
(marker comment included). `--merged` prints the spec after `extends` and traits as YAML,
each field with the file and line it came from.
"""

from __future__ import annotations

import os
import sys

from skillforge.commands.project import project_config
from skillforge.errors import SpecError, UsageError, hint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from skillforge.commands.options import ShowOptions
    from skillforge.engine.load.config import Config
    from skillforge.engine.load.spec import Spec
    from skillforge.state.inventory import Inventory


def show_command(
    options: ShowOptions, config_file: str | None, stream: IO[str] | None = None
) -> int:
    """Print the spec's documents (or the merged spec); exit 1 when the spec has errors."""
    out = stream or sys.stdout
    if not options.merged and options.target is None:
        done = quick_show(options.spec or "", config_file, out)
        if done is not None:
            return done
    from skillforge.engine.start import scan_project

    config = project_config(config_file)
    inventory = scan_project(config)
    spec_id = find_spec(config, inventory, options.spec or "")
    target = _target(config, options.target)
    try:
        if options.merged:
            from skillforge.engine.load.spec import SpecLoader

            spec = SpecLoader(config, inventory).load(spec_id)
            _write(out, merged_text(spec, config))
            return 0
        return _render(config, inventory, spec_id, target, out)
    except SpecError as exc:
        _problems(config, exc.problems, stream)
        return 1


def quick_show(given: str, config_file: str | None, out: IO[str]) -> int | None:
    """Print an up-to-date spec's documents from the disk, without the engine; else None.

    The argument of `engine/check.py`: when none of the inputs the manifest records for a spec
    changed, a fresh render is what the last build rendered, and a document whose bytes still
    have the digest recorded for that render is that render. Anything else (a dirty or failed
    spec, moved library files, a document that differs, a name to look up) renders.
    """
    from skillforge.commands.list_ import quick_start
    from skillforge.state.digest import digest_bytes
    from skillforge.state.plan import make_plan

    start = quick_start(config_file)
    if start is None:
        return None
    inventory, manifest, _ = start
    root = inventory.root
    spec_id = given if given in inventory.specs else None
    if spec_id is None and os.path.exists(given):
        rel = os.path.relpath(os.path.abspath(given), root).replace(os.sep, "/")
        spec_id = rel if rel in inventory.specs else None
    if spec_id is None:
        named = [s for s in inventory.specs if os.path.splitext(os.path.basename(s))[0] == given]
        spec_id = named[0] if len(named) == 1 else None
    record = manifest.specs.get(spec_id) if spec_id is not None else None
    if spec_id is None or record is None or record.failed:
        return None
    plan = make_plan(inventory, manifest, config_changed=False, paths=[spec_id])
    if spec_id in plan.dirty or plan.env_changed:
        return None
    documents = [
        p for p in record.outputs if p in manifest.outputs and manifest.outputs[p].document
    ]
    texts = []
    for path in documents:
        try:
            with open(os.path.join(root, path), "rb") as f:
                data = f.read()
        except OSError:
            return None
        if digest_bytes(data) != manifest.outputs[path].digest:
            return None
        texts.append((path, data.decode("utf-8", "replace")))
    _print_documents(texts, out)
    return 0


def _print_documents(texts: list[tuple[str, str]], out: IO[str]) -> None:
    """Each document; with more than one, each after a `==> path <==` line."""
    for i, (path, text) in enumerate(texts):
        if len(texts) > 1:
            text = ("\n" if i else "") + f"==> {path} <==\n" + text
        _write(out, text)


def find_spec(config: Config, inventory: Inventory, given: str) -> str:
    """The spec file id of SPEC: a spec file (relative to here or the root) or a spec's name."""
    if given in inventory.specs:
        return given
    if os.path.exists(given):
        rel = config.rel(os.path.abspath(given))
        if rel in inventory.specs:
            return rel
    named = [s for s in inventory.specs if os.path.splitext(os.path.basename(s))[0] == given]
    if not named:
        named = _by_recorded_name(config, inventory, given)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(
            f"{given}: several specs have that name ({', '.join(named)}); give its file"
        )
    names = [os.path.splitext(os.path.basename(s))[0] for s in inventory.specs]
    raise UsageError(
        f"{given}: no such spec{hint(given, names)}; `skillforge list` shows every spec"
    )


def _by_recorded_name(config: Config, inventory: Inventory, name: str) -> list[str]:
    """Specs whose `name` (as the last build recorded it) is `name` (a spec in another file)."""
    from skillforge.state.buildlog import read_cost_rows

    rows = read_cost_rows(str(config.cache_dir))
    found = {raw[0] for raw in rows.values() if raw[2] == name and raw[0] in inventory.specs}
    return sorted(found)


def _target(config: Config, name: str | None) -> str | None:
    if name is None:
        return None
    from skillforge.targets import DEFAULT, TARGETS

    building = tuple(getattr(config, "targets", None) or DEFAULT)
    if name not in TARGETS or name not in building:
        known = ", ".join(building)
        raise UsageError(
            f"--target {name}: not a target of this project{hint(name, list(building))}; "
            f"its targets: {known}"
        )
    return name


def _render(
    config: Config, inventory: Inventory, spec_id: str, target: str | None, out: IO[str]
) -> int:
    from skillforge.cache.local import Store
    from skillforge.engine.workers import render_specs

    warnings: list[str] = []
    store = Store(config.cache_dir, config.cache_size_limit, warnings.append, read_only=True)
    try:
        batch = render_specs(config, inventory, store, [spec_id], {}, False, lambda _: None)
    finally:
        store.close()
    if spec_id in batch.failed:
        raise SpecError(batch.failed[spec_id])
    rendered = batch.results[spec_id]
    outputs = [o for o in rendered.outputs if o.document]
    if target is not None:
        from skillforge.targets import get_target

        prefix = config.rel(config.out) + "/"
        outputs = [
            o
            for o in outputs
            if get_target(target).recognise(o.path.removeprefix(prefix)) is not None
        ]
    _print_documents([(o.path, o.data.decode("utf-8", "replace")) for o in outputs], out)
    if rendered.warnings:
        _problems(config, list(rendered.warnings), None if out is sys.stdout else out)
    return 0


def merged_text(spec: Spec, config: Config) -> str:
    """The merged spec as YAML, each top-level field (and section) after a `# from` line."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Multi-line strings as `|` blocks, as a spec writes them."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value.rstrip("\n") or value.endswith("\n") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)

    def dump(value: Any) -> str:
        return str(yaml.dump(value, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100))

    def origin(key: str) -> str:
        file, line = spec.origin(key)
        return f"# from {file}:{line}" if line else f"# from {file}"

    parts = [f"# {spec.file} merged (extends and traits applied)"]
    for key, value in spec.data.items():
        if key == "sections":
            continue
        parts.append(origin(key))
        parts.append(dump({key: value}).rstrip("\n"))
    if spec.sections:
        parts.append("sections:")
        for section in spec.sections:
            sid = section.get("id", "")
            parts.append(f"  {origin(f'sections.{sid}')}")
            body = dump([section]).rstrip("\n")
            parts.append("\n".join(f"  {line}" for line in body.splitlines()))
    return "\n".join(parts) + "\n"


def _problems(config: Config, problems: list[Any], stream: IO[str] | None) -> None:
    from skillforge.report.plain import Snippets, grouped, headline, read_more, write_line

    snippets = Snippets(str(config.root))
    err = stream or sys.stderr
    for problem, count in grouped(problems):
        write_line("\n".join([headline(problem, count), *snippets.lines(problem)]), err)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        write_line(read_more(errors[0]), err)


def _write(out: IO[str], text: str) -> None:
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        from skillforge.report.plain import silence

        silence(out)
