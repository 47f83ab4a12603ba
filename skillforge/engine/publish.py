"""Publish outputs: decide, write (atomically, only when bytes change), remove, explain.

`Writer` keeps every write and removal inside the output folder and refuses to overwrite a
file edited by hand; the publish phase of a build (`publish_outputs`) runs it over a
rendered batch and says why each output was written (`orphans.remove_stale` removes).
"""

from __future__ import annotations

import os
import re
import stat as st

from skillforge.cache.keys import DOCUMENT
from skillforge.engine.load.config import Config
from skillforge.engine.record import Written
from skillforge.errors import Problem
from skillforge.state.digest import digest_bytes
from skillforge.state.files import safe_rel, unlink_quietly, write_temp
from skillforge.state.manifest import Manifest
from skillforge.state.marker import read_marker, read_marker_of
from skillforge.state.plain import Plain
from skillforge.state.plan import Plan, plugins_wanted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.cache.local import Store
    from skillforge.engine.documents import RenderedOutput, RenderedSpec
    from skillforge.engine.workers import Batch
    from skillforge.report.model import BuildReport
    from skillforge.report.reporter import Reporter


class Decision(Plain):
    """What to do with one output: 'unchanged', 'write', or 'conflict' (with why)."""

    def __init__(self, action: str, why: str = "") -> None:
        self.action = action
        self.why = why


# The temp files of atomic writes: `.<name>.skillforge-<pid>.tmp` next to the output.
TEMP_MARK = ".skillforge-"
_TEMP = re.compile(r"\..+\.skillforge-\d+\.tmp\Z", re.DOTALL)


class Staged(Plain):
    """An output written to its temp file, waiting to be renamed onto `path`. `stat` is the
    temp file's, as the output's will be (a rename keeps it); `fresh`: in a folder this build
    created, so no folder can be in its place."""

    def __init__(
        self, rel: str, path: str, tmp: str, stat: os.stat_result, fresh: bool = False
    ) -> None:
        self.rel = rel
        self.path = path
        self.tmp = tmp
        self.stat = stat
        self.fresh = fresh


class OutputError(Exception):
    """An output cannot be written (unsafe path, disk full, permission denied)."""


def _plugin_roots(config: Config, previous: Manifest | None) -> tuple[str, ...]:
    """The plugin folders (DESIGN §4.1); the plugin modules load only if there are plugins."""
    if not plugins_wanted(config.plugins, previous):
        return ()
    from skillforge.targets.plugin_manifests import plugin_roots

    return tuple(plugin_roots(config.plugins, previous, safe_rel))


class Writer:
    """Writes and removes outputs under the output root of a project."""

    def __init__(self, config: Config, previous: Manifest | None, force: bool) -> None:
        self.root = str(config.root)
        # every target's out folder (DESIGN §4): outputs are written and removed only there
        outs = config.outs()
        self.outs = tuple(str(out) for out in outs)
        self.previous = previous
        self.force = force
        self.out_rels = tuple(config.rel(out) for out in outs)
        self.plugin_rels = _plugin_roots(config, previous)  # §4.1
        self.roots = (*self.out_rels, *self.plugin_rels)
        self._inside = tuple(r + "/" for r in self.roots)  # (rel + "/") starts with one
        self.spared = config.spared()
        self._safe_folders: set[str] = set()
        self._made: set[str] = set()  # the folders this build created (and has not removed)
        self._unswept: list[str] = []  # output folders to sweep once the outputs are out

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def decide(self, rel: str, data: bytes) -> Decision:
        """Compare a rendered output with the disk and with what skillforge last wrote."""
        path = self._path(rel)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return Decision("write", "output missing")
        except OSError as exc:
            return Decision("conflict", f"cannot be read ({exc.strerror})")
        if st.S_ISLNK(info.st_mode):
            return Decision("conflict", "is a symbolic link; skillforge writes only regular files")
        if st.S_ISDIR(info.st_mode):
            return Decision("conflict", "is a folder; skillforge writes a file there (remove it)")
        if info.st_size == len(data):
            try:
                with open(path, "rb") as f:
                    existing = f.read()
            except OSError as exc:
                return Decision("conflict", f"cannot be read ({exc.strerror})")
            if existing == data:
                return Decision("unchanged")
        else:
            existing = None
        record = self.previous.outputs.get(rel) if self.previous else None
        if record is None:
            # no manifest entry (a fresh clone): the file's marker says whose it is
            marker = read_marker(existing) if existing is not None else read_marker_of(path)
            if marker is not None and marker[1]:
                return Decision("write")
            from skillforge.targets.plugin_manifests import claimed

            if marker is None and claimed(path, rel, existing, data):
                return Decision("write", "output stale")
            why = (
                "exists and was not written by skillforge"
                if marker is None
                else "was edited by hand (it no longer matches its marker's digest)"
            )
        elif not self._matches(path, existing, record.digest):
            # a build killed between its outputs and its manifest leaves a recorded digest
            # older than the file: an intact marker still says the file is skillforge's
            marker = read_marker(existing) if existing is not None else read_marker_of(path)
            if marker is not None and marker[1]:
                return Decision("write")
            why = "was edited by hand since skillforge wrote it"
        else:
            return Decision("write")
        if self.force:
            return Decision("write", "output edited")
        return Decision("conflict", f"{why}; rerun with --force to overwrite it, or edit the spec")

    @staticmethod
    def _matches(path: str, existing: bytes | None, digest: str) -> bool:
        if existing is None:
            try:
                with open(path, "rb") as f:
                    existing = f.read()
            except OSError:
                return False
        return digest_bytes(existing) == digest

    def stage(self, rel: str, data: bytes, missing: bool = False) -> Staged:
        """Write `data` to a temp file next to `rel` (folders checked, then created).

        `missing`: `decide` found no file at `rel`, so its folder is likely missing too.
        """
        folder = self._folder(rel, create=True, missing=missing)
        path = os.path.join(folder, os.path.basename(rel))
        tmp = os.path.join(folder, f".{os.path.basename(path)}{TEMP_MARK}{os.getpid()}.tmp")
        try:
            stat = write_temp(tmp, data)
        except OSError as exc:
            raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None
        return Staged(rel, path, tmp, stat, folder in self._made and path not in self._made)

    def publish(self, staged: list[Staged]) -> list[os.stat_result]:
        """Rename staged temp files onto their outputs; on failure remove the temps left."""
        stats: list[os.stat_result] = []
        try:
            for item in staged:  # every target first: a failure then renames nothing
                if not item.fresh and os.path.isdir(item.path) and not os.path.islink(item.path):
                    raise OutputError(
                        f"{item.rel}: cannot write (a folder is in its place; remove it)"
                    )
            for item in staged:
                try:
                    os.replace(item.tmp, item.path)
                    stats.append(item.stat)
                except OSError as exc:
                    raise OutputError(f"{item.rel}: cannot write ({exc.strerror or exc})") from None
        except BaseException:
            self.discard(staged)
            raise
        return stats

    @staticmethod
    def discard(staged: list[Staged]) -> None:
        """Remove the temp files of outputs that will not be published."""
        for item in staged:
            unlink_quietly(item.tmp)

    def _folder(self, rel: str, *, create: bool, missing: bool = False) -> str:
        """Return the folder of output `rel` once it is known to be inside the output root.

        Each folder from the project root down is checked (a real folder, not a symlink)
        before the next one is created in it, so nothing is ever created outside. Results
        are kept: each folder costs one `lstat` per build. For a `missing` output, a folder
        is first made (`mkdir` fails on anything there, symlinks too): one call, not two.
        """
        if not safe_rel(rel) or not (rel + "/").startswith(self._inside):
            raise OutputError(f"{rel}: outside the output folder")
        parts = rel.split("/")[:-1]
        folder = self.root
        for part in parts:
            folder = os.path.join(folder, part)
            if folder in self._safe_folders:
                continue
            if missing and create and _made(folder):
                self._safe_folders.add(folder)
                self._made.add(folder)
                continue
            try:
                info = os.lstat(folder)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(folder)
                except OSError as exc:
                    raise OutputError(
                        f"{rel}: cannot create the folder {self._rel(folder)} "
                        f"({exc.strerror or exc})"
                    ) from None
                self._safe_folders.add(folder)
                self._made.add(folder)
                continue
            except OSError as exc:
                raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None
            if st.S_ISLNK(info.st_mode):
                raise OutputError(f"{rel}: resolves outside the output folder (through a symlink?)")
            if not st.S_ISDIR(info.st_mode):
                raise OutputError(
                    f"{rel}: cannot write ({self._rel(folder)} is a file, not a folder)"
                )
            self._safe_folders.add(folder)
            if create and any(folder.startswith(out + os.sep) for out in self.outs):
                self._unswept.append(folder)  # after the renames: not before the output
        return folder

    def sweep(self) -> None:
        """Remove the temp files a killed build left in the output folders written to (each
        folder once a build)."""
        folders, self._unswept = self._unswept, []
        for folder in folders:
            _sweep(folder)

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def remove(self, rel: str) -> str:
        """Remove an output skillforge wrote.

        Return 'removed', 'gone', 'kept' (edited, or not a regular file) or 'unsafe' (the path
        is not inside the output folder, or a folder on the way is a symlink).
        """
        try:
            folder = self._folder(rel, create=False)
        except FileNotFoundError:
            return "gone"
        except OutputError:
            return "unsafe"
        path = os.path.join(folder, os.path.basename(rel))
        record = self.previous.outputs.get(rel) if self.previous else None
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return "gone"
        except OSError:
            return "kept"
        if record is None or not st.S_ISREG(info.st_mode):
            return "kept"
        if not self._matches(path, None, record.digest):
            return "kept"
        os.unlink(path)
        self._prune(folder)
        return "removed"

    def _prune(self, folder: str) -> None:
        out = next((o for o in self.outs if folder.startswith(o + os.sep)), None)
        if out is None:  # in a plugin's folder: the plugin's folder goes too when empty
            rel = self._rel(folder) + "/"
            plugin = next((r for r in self.plugin_rels if rel.startswith(r + "/")), None)
            out = os.path.dirname(self._path(plugin)) if plugin is not None else None
        while out is not None and folder != out and folder.startswith(out + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                return
            self._safe_folders.discard(folder)
            self._made.discard(folder)
            folder = os.path.dirname(folder)


def _made(folder: str) -> bool:
    """Make `folder`; False when it cannot be (it is there, or an error the long way names)."""
    try:
        os.mkdir(folder)
    except OSError:
        return False
    return True


def _sweep(folder: str) -> None:
    """Remove temp files a killed build left in an output folder (only skillforge's pattern).

    Builds hold the project lock, so no other writer's temp file can be in flight here.
    """
    mine = f"{TEMP_MARK}{os.getpid()}.tmp"
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if _TEMP.match(name) and not name.endswith(mine):
            unlink_quietly(os.path.join(folder, name))


# -- the publish phase of a build: decide, write, remove, explain ---------------------------


def publish_outputs(
    plan: Plan,
    batch: Batch,
    writer: Writer,
    store: Store,
    dry_run: bool,
    report: BuildReport,
    reporter: Reporter,
) -> dict[str, Written]:
    """Write each rendered spec's outputs whose bytes changed; refuse hand-edited ones."""
    written: dict[str, Written] = {}
    for spec_id, rendered in sorted(batch.results.items()):
        decisions = [(out, writer.decide(out.path, out.data)) for out in rendered.outputs]
        conflicts = [
            Problem(o.path, None, None, d.why) for o, d in decisions if d.action == "conflict"
        ]
        if conflicts:
            batch.failed[spec_id] = conflicts
            del batch.results[spec_id]
            continue
        report.dropped.update(rendered.dropped)
        stats: dict[str, os.stat_result] = {}
        if not dry_run:
            changed = [out for out, d in decisions if d.action != "unchanged"]
            missing = {o.path for o, d in decisions if d.why == "output missing"}
            try:
                stats = _publish_all(writer, changed, missing)
            except OutputError as exc:
                # all of a spec's outputs are published or none are; the next build tries again
                file, line = rendered.name_origin
                if file != spec_id:
                    file, line = spec_id, None
                batch.failed.setdefault(spec_id, []).append(Problem(file, line, None, str(exc)))
                batch.results.pop(spec_id, None)
                continue
        # (after the renames: the cache entry it reads is replaced below, not before)
        reasons = explain(plan.dirty[spec_id], rendered, store) + rendered.notes
        for out, decision in decisions:
            digest = digest_bytes(out.data)
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
            frontmatter = digest_bytes(rendered.frontmatter.encode())
            store.set(DOCUMENT + rendered.outputs[0].path, [rendered.sections, frontmatter])
    writer.sweep()
    return written


def _publish_all(
    writer: Writer, outputs: list[RenderedOutput], missing: set[str]
) -> dict[str, os.stat_result]:
    """Stage every output to a temp file, then rename them all; on failure remove the temps."""
    paths = {out.path for out in outputs}
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
        for out in outputs:
            staged.append(writer.stage(out.path, out.data, out.path in missing))
    except BaseException:
        writer.discard(staged)
        raise
    return dict(zip([s.rel for s in staged], writer.publish(staged), strict=True))


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
        if before[1] != digest_bytes(rendered.frontmatter.encode()):
            detail.append("spec frontmatter changed")
    out: list[str] = []
    for reason in reasons:
        out.extend(detail or [reason]) if reason == "spec changed" else out.append(reason)
    return out
