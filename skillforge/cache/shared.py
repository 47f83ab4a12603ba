"""What a build shares through the remote cache, and how a fresh clone uses it (DESIGN §5.1).

Plain text and JSON only, never bytecode, marshal or pickle. CAS (by the sha256 of the bytes,
checked on every read): each rendered section (the JSON of its cached `[text, tokens]`), and
one zlib-compressed JSON bundle of every spec's record, laid out like the manifest: files with
size and digest, trait and template names, and per spec its dependencies, its outputs (digest,
document key) and its sections (local cache key -> CAS digest). AC: one entry, keyed by the
sha256 of (skillforge and library versions, config digest), naming the latest bundle.

A fresh clone (no manifest) fetches the bundle in two requests. A record whose every input has
here the size and digest it names (and whose names resolve to the same files) describes what
rendering that spec here would give, so it goes into a manifest made of the records and the
ordinary plan decides: `check` compares the files on disk with the recorded digests without
rendering; `build` renders only what differs. Any other spec is rendered as a new spec, with
the sections its record names fetched first, all at once (`seed`): a section is served only
under its own content-derived key, so it is a hit only where it still applies.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Callable
from typing import Any

from skillforge import __version__
from skillforge.cache.keys import DOCUMENT, SECTION
from skillforge.cache.remote import AC, CAS, Remote, environment_key, records_key, sha256
from skillforge.state.digest import Uncacheable, digest_file, from_data, to_data
from skillforge.state.inventory import BUILTIN
from skillforge.state.layout import valid_cost
from skillforge.state.manifest import Manifest, OutputRecord, SpecRecord, stat_record
from skillforge.state.plan import ALL_TEMPLATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.cache.local import Store
    from skillforge.state.inventory import Inventory
    from skillforge.state.plan import Plan

RECORD_FORMAT = 1
MAX_RECORDS_BYTES = 512 * 2**20  # the records of a project, inflated: more is garbage
REMOTE_REASON = "sections from the remote cache"
# Sections fetched from the remote for this run: the build's store and (forked) render
# workers serve them (`seed_store`); module state because a worker process is forked with it.
SEEDED: dict[str, Any] = {}
# The sections (local key -> CAS digest) of the records this run admitted: a trusted build
# that renders none of those specs shares them again in its bundle (`bundle_of`).
FETCHED: dict[str, dict[str, str]] = {}


def encode_value(value: Any) -> bytes:
    return json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":")).encode()


# -- the writing side: after a trusted build -------------------------------------------------


def _files_of(manifest: Manifest, spec_id: str, deps: Any) -> set[str] | None:
    """Every file a spec's record depends on: itself, its bases and files, what its trait
    and template names resolve to (all templates for a dynamic name); None if unknown."""
    files = {spec_id}
    for dep in deps:
        kind, _, name = dep.partition(":")
        if kind in ("f", "s"):
            files.add(name)
        elif dep == ALL_TEMPLATES:
            files.update(v for k, v in manifest.resolved.items() if k.startswith("T:"))
        elif kind in ("t", "T"):
            if dep not in manifest.resolved:
                return None
            files.add(manifest.resolved[dep])
    return files


def _sections_of(manifest: Manifest, outputs: list[str], store: Store) -> dict[str, bytes]:
    """Local key -> CAS blob of each section of a spec's document (from its `doc:` entry)."""
    document = next((p for p in outputs if manifest.outputs[p].document), None)
    entry = store.get(DOCUMENT + document) if document else None
    blobs: dict[str, bytes] = {}
    if isinstance(entry, list | tuple) and len(entry) == 2:
        for pair in entry[0]:
            key = SECTION + str(pair[1])
            value = store.get(key)
            if value is not None:
                with contextlib.suppress(Uncacheable):
                    blobs[key] = encode_value(value)
    return blobs


def bundle_of(
    manifest: Manifest, store: Store, costs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The records of a build's manifest, and the CAS blobs of their sections.

    Laid out like the manifest: one table of files (size, digest) and names, one of
    dependency lists, and per spec its dependency list, outputs and sections.
    """
    files: dict[str, list[Any]] = {}
    depsets: dict[tuple[str, ...], int] = {}
    specs: dict[str, list[Any]] = {}
    blobs: dict[str, bytes] = {}
    for spec_id, spec in sorted(manifest.specs.items()):
        needed = _files_of(manifest, spec_id, spec.deps)
        if spec.failed or not spec.outputs or needed is None:
            continue
        if any(f not in manifest.files for f in needed):
            continue
        if any(o not in manifest.outputs for o in spec.outputs):
            continue
        for file_id in needed:
            files[file_id] = manifest.files[file_id][1:3]
        outputs = {}
        for path in spec.outputs:
            out = manifest.outputs[path]
            outputs[path] = [out.size, out.digest, out.document, out.key]
        sections = {}
        for key, blob in _sections_of(manifest, spec.outputs, store).items():
            sections[key] = digest = sha256(blob)
            blobs[digest] = blob
        if not sections and spec_id in FETCHED:  # admitted from the remote, not rendered here
            sections = FETCHED[spec_id]
        index = depsets.setdefault(tuple(spec.deps), len(depsets))
        cost = next((costs[o] for o in spec.outputs if o in costs), None)
        specs[spec_id] = [index, outputs, sections, cost]
    bundle = {
        "format": RECORD_FORMAT,
        "files": files,
        "resolved": manifest.resolved,
        "depsets": [list(d) for d in depsets],
        "specs": specs,
    }
    return bundle, blobs


def upload(remote: Remote, manifest: Manifest, store: Store, costs: dict[str, Any]) -> None:
    """Share a trusted build: its sections, then one bundle of every spec's record (CAS),
    then the AC entry naming that bundle. `costs` are the documents' cost rows (budgets)."""
    bundle, blobs = bundle_of(manifest, store, costs)
    data = zlib.compress(json.dumps(bundle, separators=(",", ":")).encode(), 6)
    digest = sha256(data)
    blobs[digest] = data
    # content before the entry that names it: a reader never finds a record whose sections
    # are not there yet
    if remote.put_many(CAS, blobs) == len(blobs):
        pointer = {"format": RECORD_FORMAT, "records": digest, "size": len(data)}
        key = records_key(environment_key(), manifest.config)
        remote.put_many(AC, {key: json.dumps(pointer).encode()})


# -- the reading side: a fresh clone ---------------------------------------------------------


class Garbage(ValueError):
    """A remote value that is not what skillforge writes."""


def _need(ok: bool) -> None:
    if not ok:
        raise Garbage


def _safe_path(path: Any) -> bool:
    """A relative path with no `..`, `.` or empty part: one a build may have written."""
    if not isinstance(path, str) or path.startswith("/") or "\\" in path:
        return False
    return all(p not in ("", ".", "..") for p in path.removeprefix(BUILTIN).split("/"))


class Records:
    """The records a fresh clone fetched, and which of them describe this checkout.

    A spec's record is admitted when every file it depends on has here the size and digest
    it names, its trait and template names resolve to the same files, and (for a dynamic
    template name) the templates are the same set.
    """

    def __init__(self, inventory: Inventory, bundle: Any) -> None:
        self.inventory = inventory
        self.found: dict[str, list[Any]] = {}  # spec -> [deps, outputs, sections]
        self.admitted: set[str] = set()
        self.files: dict[str, list[Any]] = {}  # file id -> [mtime, size, digest], as here
        self.resolved: dict[str, str] = {}
        self._bundle = bundle
        self._good: dict[str, bool] = {}
        self._deps: dict[str, bool] = {}
        self.costs: dict[str, list[Any]] = {}  # document -> its cost row (`OutputCost.to_raw`)

    def read(self, specs: list[str]) -> None:
        """Check the bundle's tables, then the records of `specs`; raise Garbage if bad."""
        bundle = self._bundle
        _need(isinstance(bundle, dict) and bundle.get("format") == RECORD_FORMAT)
        files, resolved = bundle.get("files"), bundle.get("resolved")
        depsets, specs_table = bundle.get("depsets"), bundle.get("specs")
        _need(isinstance(files, dict) and isinstance(resolved, dict))
        _need(isinstance(depsets, list) and isinstance(specs_table, dict))
        for file_id, value in files.items():
            _need(_safe_path(file_id) and isinstance(value, list) and len(value) == 2)
            _need(isinstance(value[0], int) and isinstance(value[1], str))
        _need(all(isinstance(v, str) and v in files for v in resolved.values()))
        for deps in depsets:
            _need(isinstance(deps, list) and all(isinstance(d, str) for d in deps))
        templates = {k[2:] for k in resolved if k.startswith("T:")}
        every_template = templates == set(self.inventory.templates)
        valid_depsets = [self._depset_ok(deps, files, resolved, every_template) for deps in depsets]
        for spec in specs:
            row = specs_table.get(spec)
            if row is None:
                continue
            _need(isinstance(row, list) and len(row) == 4 and isinstance(row[0], int))
            index, outputs, sections, cost = row
            _need(cost is None or valid_cost(cost))
            _need(0 <= index < len(depsets) and isinstance(outputs, dict) and bool(outputs))
            _need(isinstance(sections, dict))
            _need(all(isinstance(v, str) and len(v) == 64 for v in sections.values()))
            for path, out in outputs.items():
                _need(_safe_path(path) and isinstance(out, list) and len(out) == 4)
                _need(isinstance(out[0], int) and isinstance(out[1], str))
                _need(isinstance(out[2], bool) and isinstance(out[3], str))
            self.found[spec] = [depsets[index], outputs, sections]
            if valid_depsets[index] and spec in files and self._file_ok(spec, files[spec]):
                self.admitted.add(spec)
                document = next((p for p in sorted(outputs) if outputs[p][2]), None)
                if cost is not None and document is not None:
                    self.costs[document] = cost
        self.resolved = {k: v for k, v in resolved.items() if self._good.get(v)}

    def _depset_ok(
        self, deps: list[str], files: dict[str, Any], resolved: dict[str, str], every: bool
    ) -> bool:
        memo = self._deps
        for dep in deps:
            known = memo.get(dep)
            if known is None:
                known = memo[dep] = self._dep_ok(dep, files, resolved, every)
            if not known:
                return False
        return True

    def _dep_ok(
        self, dep: str, files: dict[str, Any], resolved: dict[str, str], every: bool
    ) -> bool:
        kind, _, name = dep.partition(":")
        if kind in ("f", "s"):
            return name in files and self._file_ok(name, files[name])
        if dep == ALL_TEMPLATES:
            names = [k for k in resolved if k.startswith("T:")]
            return every and all(self._resolves(k, resolved, files) for k in names)
        return kind in ("t", "T") and self._resolves(dep, resolved, files)

    def _resolves(self, dep: str, resolved: dict[str, str], files: dict[str, Any]) -> bool:
        kind, _, name = dep.partition(":")
        table = self.inventory.traits if kind == "t" else self.inventory.templates
        file_id = resolved.get(dep)
        return (
            file_id is not None
            and table.get(name) == file_id
            and self._file_ok(file_id, files[file_id])
        )

    def _file_ok(self, file_id: str, recorded: list[Any]) -> bool:
        """Whether the file here has the recorded size and digest (each file hashed once)."""
        good = self._good.get(file_id)
        if good is None:
            good = False
            path = self.inventory.path(file_id)
            with contextlib.suppress(OSError):
                st = os.stat(path)
                if st.st_size == recorded[0] and digest_file(path) == recorded[1]:
                    good = True
                    self.files[file_id] = stat_record(st.st_mtime_ns, st.st_size, recorded[1])
            self._good[file_id] = good
        return good


def fetch_records(
    remote: Remote, inventory: Inventory, specs: list[str], config_digest: str
) -> Records | None:
    """Fetch the project's records (two requests: the AC entry, the bundle it names); keep
    the well-formed records of `specs` and admit those that describe this checkout."""
    key = records_key(environment_key(), config_digest)
    pointer = remote.get_many(AC, [key]).get(key)
    if pointer is None:
        return None
    try:
        named = json.loads(pointer)
        digest = named["records"]
        _need(named["format"] == RECORD_FORMAT and isinstance(digest, str) and len(digest) == 64)
    except (ValueError, TypeError, KeyError, RecursionError):
        remote.poisoned("the records entry is not one skillforge writes")
        return None
    data = remote.get_many(CAS, [digest]).get(digest)
    if data is None:
        return None
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(data, MAX_RECORDS_BYTES)
        _need(not inflate.unconsumed_tail)
        records = Records(inventory, json.loads(raw))
        records.read(specs)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, zlib.error):
        remote.poisoned("the records are not what skillforge writes")
        return None
    return records


def synthetic_manifest(records: Records, config: Any, env: str) -> Manifest | None:
    """A manifest made of the admitted records, as if this checkout had built them."""
    if not records.admitted:
        return None
    manifest = Manifest()
    manifest.tool = __version__
    manifest.env = env
    manifest.config = config.digest
    manifest.config_raw = config.raw_digest
    manifest.layout = config.layout()
    manifest.owner = config.owner()
    manifest.files = records.files  # the files found here as the records name them
    manifest.resolved = records.resolved
    for spec in sorted(records.admitted):
        deps, outputs, _ = records.found[spec]
        manifest.specs[spec] = SpecRecord(deps, sorted(outputs))
        for path, (size, digest, document, key) in outputs.items():
            manifest.outputs[path] = OutputRecord(0, size, digest, document, key)
    return manifest


def prune(manifest: Manifest, plan: Plan) -> None:
    """Drop the records of the specs the plan renders: they are built as new specs.

    An output a record names is then never removed or judged by that record: a build
    touches only what this checkout's own render produces, as on a fresh clone.
    """
    for spec in plan.dirty:
        record = manifest.specs.pop(spec, None)
        plan.layers.pop(spec, None)
        for path in record.outputs if record else ():
            manifest.outputs.pop(path, None)


def seed(remote: Remote, records: Records, specs: list[str], plan: Plan | None = None) -> int:
    """Fetch the sections the records of `specs` name; return how many were seeded.

    Each is checked against its sha256 (`Remote.get_many`) and its shape; it is served under
    the local key its record gives, which is derived from its inputs (DESIGN §5).
    """
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        record = records.found.get(spec)
        for key, digest in record[2].items() if record else ():
            if key.startswith(SECTION) and key not in SEEDED:
                wanted.setdefault(digest, []).append(key)
    blobs = remote.get_many(CAS, wanted)
    seeded = 0
    for digest, blob in blobs.items():
        try:
            value = from_data(json.loads(blob))
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            value = None
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
            remote.poisoned(f"cas/{digest[:12]}… is not a section")
            continue
        if not isinstance(value[1], int) or isinstance(value[1], bool):
            remote.poisoned(f"cas/{digest[:12]}… is not a section")
            continue
        for key in wanted[digest]:
            SEEDED[key] = value
            seeded += 1
    if plan is not None and seeded:
        for spec in specs:
            record = records.found.get(spec)
            if record and any(k in SEEDED for k in record[2]):
                reasons = plan.dirty.get(spec)
                if reasons is not None and REMOTE_REASON not in reasons:
                    reasons.append(REMOTE_REASON)
    return seeded


def seed_store(store: Store, keep: bool = False) -> None:
    """Serve the seeded sections from `store`; with `keep`, its flush writes them locally."""
    if SEEDED:
        store.handed_over.update(SEEDED)
        if keep:
            store.pending.update(SEEDED)


# -- the hooks of `build` and `check` --------------------------------------------------------


def begin(
    remote: Remote,
    inventory: Inventory,
    previous: Manifest | None,
    plan: Plan,
    config: Any,
    env: str,
    replan: Callable[[Manifest], Plan],
) -> tuple[Manifest | None, Plan, dict[str, list[Any]]]:
    """Before rendering: ask the remote about the dirty specs, all at once.

    Without a manifest (a fresh clone), the records that describe this checkout become the
    manifest, and `replan` plans again against it; then the sections of the specs still to
    render are fetched, so that rendering them looks each one up locally. Returns the
    manifest and plan to go on with, and the cost rows of the documents found up to date.
    """
    SEEDED.clear()
    FETCHED.clear()
    dirty = list(plan.dirty)
    if not dirty:
        return previous, plan, {}
    records = fetch_records(remote, inventory, dirty, config.digest)
    if records is None:
        return previous, plan, {}
    costs: dict[str, list[Any]] = {}
    if previous is None:
        synthetic = synthetic_manifest(records, config, env)
        if synthetic is not None:
            plan = replan(synthetic)
            prune(synthetic, plan)
            previous = synthetic
            costs = {p: c for p, c in records.costs.items() if p in synthetic.outputs}
            FETCHED.update((spec, records.found[spec][2]) for spec in synthetic.specs)
    seed(remote, records, list(plan.dirty), plan)
    return previous, plan, costs
