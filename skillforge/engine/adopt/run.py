"""Run an import: find, plan, optionally factor, write; say per file what the next build does.

Every line is said before anything is written, and the outputs themselves are never
touched: the next `build` adopts each document whose bytes already equal what it writes and
rewrites the others, for the reasons listed here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from skillforge.engine.adopt.document import load_yaml
from skillforge.engine.adopt.plan import Planned, plan
from skillforge.engine.adopt.sources import FORMATS, find_sources
from skillforge.engine.adopt.specs import ordered, spec_text
from skillforge.engine.adopt.write import Exists, create, record_adoption, write_spec
from skillforge.engine.load.config import Config
from skillforge.errors import UsageError


@dataclass
class ImportRun:
    """What one `skillforge import` found, decided and wrote."""

    planned: list[Planned] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files created, root-relative
    recorded: int = 0  # outputs the manifest now lets the next build rewrite
    lines_saved: int = 0  # by --factor
    shared: list[str] = field(default_factory=list)  # templates --factor wrote
    empty: list[str] = field(default_factory=list)  # PATHS that held nothing to import

    @property
    def failed(self) -> bool:
        """Whether anything asked for was not imported (exit 1)."""
        return bool(self.empty) or any(p.status not in ("ready", "copy") for p in self.planned)


def run_import(
    config: Config,
    paths: list[str] | None,
    *,
    include_broken: bool = False,
    factor: bool = False,
    dry_run: bool = False,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    header: Callable[[str], str] = lambda spec_rel: "",
) -> ImportRun:
    """Import the files under `paths` (absolute; default: every source format's folders).

    `header(spec_rel)` is the text each spec starts with (the command layer's schema modeline).
    """
    result = ImportRun()
    own = (*config.specs, *config.traits, *config.templates, config.cache_dir)
    outs = {fmt.target: str(config.out_of(fmt.target, fmt.kinds[0])) for fmt in FORMATS}
    sources, result.empty = find_sources(str(config.root), outs, paths, tuple(str(p) for p in own))
    for top in result.empty:
        warn(f"{config.rel(top)}: holds no skill, agent or command to import")
    result.planned = plan(config, sources, include_broken)
    ready = [p for p in result.planned if p.status == "ready"]
    texts = {p.spec_rel: header(p.spec_rel) + spec_text(p.data, _comments(p)) for p in ready}
    templates: dict[str, str] = {}
    if factor and not config.templates:
        warn("--factor needs a templates folder in the config (`templates = [...]`); not factored")
    elif factor and ready:
        from skillforge.engine.adopt.factor import factor_specs

        before = sum(text.count("\n") for text in texts.values())
        factored = factor_specs(config, ready)
        templates = factored.templates
        texts = {p.spec_rel: header(p.spec_rel) + spec_text(p.data, _comments(p)) for p in ready}
        after = sum(text.count("\n") for text in texts.values()) + factored.template_lines()
        result.lines_saved = before - after
    for p in ready:
        if load_yaml(texts[p.spec_rel]) != ordered(p.data):  # never write a spec that lies
            p.status = "skipped"
            p.problems = [(None, "its values cannot be written as YAML that loads back equal")]
    ready = [p for p in ready if p.status == "ready"]
    for item in result.planned:
        for line in describe(item):
            say(line)
    if not dry_run:
        result.written = _write(config, ready, texts, templates, warn)
        result.recorded = record_adoption(config, ready, warn)
    result.shared = sorted(templates)
    for line in summary(result, dry_run):
        say(line)
    return result


def _write(
    config: Config,
    ready: list[Planned],
    texts: dict[str, str],
    templates: dict[str, str],
    warn: Callable[[str], None],
) -> list[str]:
    written: list[str] = []
    folder = str(config.templates[0]) if config.templates else ""
    try:
        for name, text in sorted(templates.items()):
            create(os.path.join(folder, name), text.encode("utf-8"))
            written.append(config.rel(os.path.join(folder, name)))
        for item in ready:
            written.extend(write_spec(config, item, texts[item.spec_rel]))
    except Exists as exc:
        raise UsageError(
            f"{config.rel(str(exc))} appeared while importing; nothing after it was written. "
            "Rerun import (it skips what it wrote)"
        ) from None
    return written


def _comments(item: Planned) -> list[str]:
    lines = [f"imported by skillforge from {item.source.rel}"]
    if item.review:
        lines.append("REVIEW: imported from a broken file (--include-broken); fix what follows:")
        lines.extend(f"REVIEW: {_where(item, line)}: {message}" for line, message in item.problems)
        doc = item.doc
        lines.extend(f"REVIEW: not read: {lost}" for lost in (doc.lost if doc else []))
    return lines


def _where(item: Planned, line: int | None) -> str:
    return item.source.rel if line is None else f"{item.source.rel}:{line}"


def describe(item: Planned) -> list[str]:
    """The lines said about one file."""
    rel = item.source.rel
    if item.status in ("skipped", "copy"):
        return [f"{item.status:<8} {rel}: {item.problems[0][1]}"]
    if item.status == "broken":
        lines = [f"broken   {_where(item, line)}: {message}" for line, message in item.problems]
        return [*lines, "         (not imported; --include-broken imports it for review)"]
    what = f"{len(item.sections)} section{'s' if len(item.sections) != 1 else ''}"
    if item.source.files:
        what += f", {len(item.source.files)} file{'s' if len(item.source.files) != 1 else ''}"
    head = f"{'review ' if item.review else 'imported'} {rel} -> {item.spec_rel} ({what})"
    if not item.builds:
        then = "the build refuses it until the problems below are fixed"
    elif item.waits:
        then = f"written back once the config's `targets` lists '{item.waits}'"
        if item.current is not None:
            then += ": adopted unchanged" if item.adopts else f": {', '.join(item.changes)}"
    elif item.current is None:
        then = f"next build writes {item.output_rel}"
    elif item.adopts:
        then = "next build adopts it unchanged"
    else:
        then = f"next build rewrites it: {', '.join(item.changes) or 'other'}"
    lines = [f"{head}; {then}"]
    lines.extend(f"         {note}" for note in item.notes)
    if item.review:
        lines.extend(f"         {_where(item, ln)}: {message}" for ln, message in item.problems)
    return lines


def summary(result: ImportRun, dry_run: bool) -> list[str]:
    """The closing lines: counts, and the byte changes of the next build by kind."""
    counts = Counter(p.status for p in result.planned)
    ready = [p for p in result.planned if p.status == "ready"]
    now = [p for p in ready if not p.waits]
    waiting = [p for p in ready if p.waits and p.builds]
    verb = "would write" if dry_run else "wrote"
    lines = [
        f"{len(result.planned)} files read: {len(ready)} imported "
        f"({sum(1 for p in ready if p.review)} for review), "
        + (f"{counts['copy']} copies, " if counts["copy"] else "")
        + f"{counts['skipped']} skipped, "
        f"{counts['broken']} broken; {verb} {len(ready)} specs"
    ]
    lines.append(
        f"next build: adopts {sum(p.adopts + len(p.copies) - len(p.also) for p in now)} "
        f"unchanged, rewrites {sum(p.rewrites + len(p.also) for p in now)}, "
        f"writes {sum(1 for p in now if p.builds and p.current is None)} new"
    )
    if waiting:
        lines.append(
            f"  {len(waiting):>5}  written back once the config's `targets` lists "
            f"{', '.join(sorted({p.waits for p in waiting}))} "
            f"({sum(1 for p in waiting if p.adopts)} unchanged, "
            f"{sum(1 for p in waiting if p.rewrites)} rewritten)"
        )
    kinds = Counter(kind for p in ready if p.rewrites for kind in p.changes)
    for kind, n in kinds.most_common():
        lines.append(f"  {n:>5}  {kind}")
    if result.shared or result.lines_saved:
        lines.append(
            f"factored {len(result.shared)} shared section template"
            f"{'s' if len(result.shared) != 1 else ''}: {result.lines_saved} lines of spec saved"
        )
    return lines
