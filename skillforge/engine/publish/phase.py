"""The publish phase of a build: decide, write, remove, explain (DESIGN §5).

An output is published only once the rules between specs have judged every spec, so a build
renames its outputs onto their paths last. The slow part of writing them (folders, temp
files) need not wait: while worker processes render, the build stages the specs they hand
back (`Staging`); the publish phase then checks that nothing moved on the disk since, and
renames. A spec that fails later has its temp files removed; one whose files moved is decided
and written again the long way.
"""

from __future__ import annotations

import contextlib
import os

from skillforge.cache.keys import DOCUMENT
from skillforge.cache.local import encode
from skillforge.engine.publish.writer import Decision, OutputError, Staged, Writer
from skillforge.engine.record import Written
from skillforge.errors import Problem
from skillforge.state.digest import Uncacheable, digest_bytes
from skillforge.state.plain import Plain
from skillforge.state.plan import Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.cache.local import Store
    from skillforge.engine.documents import RenderedOutput, RenderedSpec
    from skillforge.engine.workers import Batch
    from skillforge.report.model import BuildReport
    from skillforge.report.reporter import Reporter


class Ready(Plain):
    """A spec's outputs, decided and staged ahead of publishing (none is in conflict).

    `outputs` is the list decided (a spec whose outputs change after is decided again);
    `error`: staging failed, the spec fails when it would be published; `entry`: the spec's
    document entry of the cache in its stored form, encoded while the others render (it is
    set when the spec is published: `explain` reads the entry it replaces).
    """

    def __init__(
        self,
        outputs: list[RenderedOutput],
        decisions: list[Decision],
        staged: list[Staged],
        digests: list[str],
        error: str = "",
        entry: bytes | None = None,
    ) -> None:
        self.outputs = outputs
        self.decisions = decisions
        self.staged = staged
        self.digests = digests
        self.error = error
        self.entry = entry


class Staging:
    """Specs staged while others render: decided and written to temp files, not renamed."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.ready: dict[str, Ready] = {}
        self._paths: set[str] = set()  # every output path staged: each is staged once

    def stage(self, results: dict[str, RenderedSpec]) -> None:
        """Decide and stage the outputs of `results` (a worker's chunk, just handed back)."""
        writer = self.writer
        for spec_id, rendered in results.items():
            outputs = rendered.outputs
            paths = {out.path for out in outputs}
            if spec_id in self.ready or paths & self._paths or len(paths) < len(outputs):
                continue  # the publish phase sees to it the long way
            self._paths |= paths
            decisions = [writer.decide(out.path, out.data) for out in outputs]
            if any(d.action == "conflict" for d in decisions):
                continue  # refused in the publish phase, where it is decided again
            entry = None  # (a spec with no output has none: `publish_outputs` sets none)
            if outputs:
                with contextlib.suppress(Uncacheable):  # (set when published, as ever)
                    entry = encode(DOCUMENT + outputs[0].path, document_entry(rendered), None)
            ready = Ready(outputs, decisions, [], digests_of(outputs), entry=entry)
            self.ready[spec_id] = ready
            try:
                ready.staged = stage_all(writer, outputs, decisions)
            except OutputError as exc:
                ready.error = str(exc)

    def take(self, spec_id: str, rendered: RenderedSpec) -> Ready | None:
        """The spec's outputs as staged, if nothing moved on the disk since they were decided
        (a file made by hand meanwhile, even in a folder this build made); else None, the
        temps removed. The check is `publish`'s (no folder in an output's place) too."""
        ready = self.ready.pop(spec_id, None)
        if ready is None:
            return None
        writer = self.writer
        if ready.outputs is rendered.outputs and all(
            writer.still(writer.path(out.path), d)
            for out, d in zip(ready.outputs, ready.decisions, strict=True)
        ):
            return ready
        writer.unstage(ready.staged)
        return None

    def discard(self) -> None:
        """Remove the temp files of every spec staged and not published (it failed since)."""
        for ready in self.ready.values():
            self.writer.unstage(ready.staged)
        self.ready.clear()


def document_entry(rendered: RenderedSpec) -> list[object]:
    """The cache's document entry of a rendered spec: its sections' keys and its heads'
    digest (what `explain` compares with the next build's)."""
    return [rendered.sections, rendered.heads_digest]


def publish_outputs(
    plan: Plan,
    batch: Batch,
    writer: Writer,
    store: Store,
    dry_run: bool,
    report: BuildReport,
    reporter: Reporter,
    staging: Staging | None = None,
) -> dict[str, Written]:
    """Write each rendered spec's outputs whose bytes changed; refuse hand-edited ones."""
    written: dict[str, Written] = {}
    try:
        for spec_id, rendered in sorted(batch.results.items()):
            ready = staging.take(spec_id, rendered) if staging is not None else None
            if ready is not None:
                decisions, digests = ready.decisions, ready.digests
            else:
                decisions = [writer.decide(out.path, out.data) for out in rendered.outputs]
                digests = digests_of(rendered.outputs)
            conflicts = [
                Problem(o.path, None, None, d.why)
                for o, d in zip(rendered.outputs, decisions, strict=True)
                if d.action == "conflict"
            ]
            if conflicts:
                batch.failed[spec_id] = conflicts
                del batch.results[spec_id]
                continue
            report.dropped.update(rendered.dropped)
            stats: dict[str, os.stat_result] = {}
            if not dry_run:
                try:
                    stats = _write(writer, rendered, decisions, ready)
                except OutputError as exc:
                    # all of a spec's outputs are published or none are; the next build retries
                    file, line = rendered.name_origin
                    if file != spec_id:
                        file, line = spec_id, None
                    batch.failed.setdefault(spec_id, []).append(Problem(file, line, None, str(exc)))
                    batch.results.pop(spec_id, None)
                    continue
            # (after the renames: the cache entry it reads is replaced below, not before)
            reasons = explain(plan.dirty[spec_id], rendered, store) + rendered.notes
            for out, decision, digest in zip(rendered.outputs, decisions, digests, strict=True):
                stat = stats.get(out.path)
                if decision.action == "unchanged":
                    report.unchanged += out.document
                written[out.path] = Written(stat, digest, rendered.document_key, out.document)
                if decision.action == "unchanged":
                    continue
                if out.document:
                    new = "new spec" in reasons
                    first = [decision.why] if decision.why and not new else []
                    why = first + [r for r in reasons if r not in first]
                    why += rendered.path_notes.get(out.path, [])
                    report.written.append(out.path)
                    report.reasons[out.path] = why
                    reporter.written(out.path, why)
                else:
                    report.files_written += 1
            if not dry_run and rendered.outputs:
                key = DOCUMENT + rendered.outputs[0].path
                if ready is not None and ready.entry is not None:
                    store.set_stored(key, ready.entry)  # encoded while the others rendered
                else:
                    store.set(key, document_entry(rendered))
    finally:
        if staging is not None:
            staging.discard()  # the specs staged that failed since (or all, on an error)
    writer.sweep()
    return written


def _write(
    writer: Writer, rendered: RenderedSpec, decisions: list[Decision], ready: Ready | None
) -> dict[str, os.stat_result]:
    """Publish a spec's changed outputs, staged ahead (`ready`) or now: each output's stat,
    or OutputError when one cannot be written (then none is)."""
    if ready is None:
        staged = stage_all(writer, rendered.outputs, decisions)
    elif ready.error:
        raise OutputError(ready.error)
    else:
        staged = ready.staged
    published = writer.publish(staged, checked=ready is not None)
    return dict(zip([s.rel for s in staged], published, strict=True))


def digests_of(outputs: list[RenderedOutput]) -> list[str]:
    """The digest of each output's bytes; outputs sharing their bytes (the documents of
    targets with one head: render.py `_twins`) are digested once."""
    known: dict[int, str] = {}  # id of the bytes (alive in `outputs` meanwhile) -> digest
    digests = []
    for out in outputs:
        digest = known.get(id(out.data))
        if digest is None:
            digest = known[id(out.data)] = digest_bytes(out.data)
        digests.append(digest)
    return digests


def stage_all(
    writer: Writer, outputs: list[RenderedOutput], decisions: list[Decision]
) -> list[Staged]:
    """Stage every output decided to be written to a temp file; on failure remove the temps
    written. (An output `decide` found no file for has likely no folder either.)"""
    todo = [(o, d) for o, d in zip(outputs, decisions, strict=True) if d.action != "unchanged"]
    paths = {out.path for out, _ in todo}
    for second in sorted(paths) if len(paths) > 1 else ():
        at = second.find("/")
        while at != -1:  # each folder of the path, the outermost first
            if second[:at] in paths:
                raise OutputError(
                    f"{second}: cannot write ({second[:at]} is another output of this spec); "
                    "give the supporting files dests that are not inside one another"
                )
            at = second.find("/", at + 1)
    staged = []
    try:
        for out, decision in todo:
            staged.append(writer.stage(out.path, out.data, decision.seen is None))
    except BaseException:
        writer.discard(staged)
        raise
    return staged


def explain(reasons: list[str], rendered: RenderedSpec, store: Store) -> list[str]:
    """Turn 'spec changed' into the sections (or the frontmatter) that changed."""
    if "spec changed" not in reasons or not rendered.outputs:
        return reasons
    before = store.get(DOCUMENT + rendered.outputs[0].path)
    detail: list[str] = []
    if isinstance(before, list) and len(before) == 2:
        old = dict(before[0])
        new = dict(rendered.sections)
        for sid, key in rendered.sections:
            if sid not in old:
                detail.append(f"spec section {sid} added")
            elif old[sid] != key:
                detail.append(f"spec section {sid} changed")
        detail.extend(f"spec section {sid} removed" for sid in old if sid not in new)
        if before[1] != rendered.heads_digest:
            detail.append("spec frontmatter changed")
    out: list[str] = []
    for reason in reasons:
        out.extend(detail or [reason]) if reason == "spec changed" else out.append(reason)
    return out
