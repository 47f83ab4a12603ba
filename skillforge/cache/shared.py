"""What a build shares through the remote cache, and how a fresh clone uses it (DESIGN §5.1).

Two plain-text layers, nothing else (never bytecode, marshal or pickle):

- CAS: rendered sections, as the JSON of their cached value (`[text, tokens]`), addressed
  by the sha256 of those bytes and checked against it on every read;
- AC, one entry per spec: the key is the sha256 of (skillforge version, environment digest,
  config digest, spec id), the value a JSON record of what the last trusted build of that
  spec read and wrote: its dependencies with each file's size and digest, its outputs with
  their digests and document keys, and the local cache key -> CAS digest of its sections.

A fresh clone (no manifest) asks for the record of every spec at once. A record whose every
input file has, here, the size and digest it names (and whose trait and template names
resolve to the same files) describes exactly what rendering that spec here would give, so
it goes into a manifest made from the records (`synthetic_manifest`) and the ordinary plan
decides: `check` then compares the files on disk with the recorded digests without
rendering, and `build` renders only what differs. The spec of any other record is rendered,
with the sections its record names fetched first (`seed`): a section is used only under its
own content-derived key, so a section of an older render is a hit only where it still
applies. A spec whose record is dropped from the synthetic manifest is rendered as a new spec.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from skillforge import __version__
from skillforge.cache.keys import DOCUMENT, SECTION
from skillforge.cache.remote import AC, CAS, Remote, sha256
from skillforge.state.digest import Uncacheable, digest_file, from_data, to_data
from skillforge.state.inventory import BUILTIN
from skillforge.state.manifest import Manifest, OutputRecord, SpecRecord
from skillforge.state.plan import ALL_TEMPLATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.cache.local import Store
    from skillforge.state.inventory import Inventory
    from skillforge.state.plan import Plan

RECORD_FORMAT = 1
REMOTE_REASON = "sections from the remote cache"
# Sections fetched from the remote for this run: the build's store and (forked) render
# workers serve them (`seed_store`); module state because a worker process is forked with it.
SEEDED: dict[str, Any] = {}


def spec_key(env: str, config_digest: str, spec_id: str) -> str:
    """The AC key of a spec's record."""
    name = "\0".join(("skillforge-record", str(RECORD_FORMAT), __version__, env, config_digest))
    return sha256(f"{name}\0{spec_id}".encode())


def encode_value(value: Any) -> bytes:
    return json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":")).encode()


# -- the writing side: after a trusted build -------------------------------------------------


def _spec_files(manifest: Manifest, spec_id: str, deps: Any) -> tuple[dict[str, str], set[str]]:
    resolved: dict[str, str] = {}
    files = {spec_id}
    for dep in deps:
        kind, _, name = dep.partition(":")
        if kind in ("f", "s"):
            files.add(name)
        elif dep == ALL_TEMPLATES:
            for other, file_id in manifest.resolved.items():
                if other.startswith("T:"):
                    resolved[other] = file_id
        elif kind in ("t", "T") and dep in manifest.resolved:
            resolved[dep] = manifest.resolved[dep]
    files.update(resolved.values())
    return resolved, files


def record_of(
    manifest: Manifest, spec_id: str, store: Store
) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """The AC record of one spec of a build's manifest, and the CAS blobs of its sections."""
    spec = manifest.specs.get(spec_id)
    if spec is None or spec.failed or not spec.outputs:
        return None
    resolved, needed = _spec_files(manifest, spec_id, spec.deps)
    files: dict[str, list[Any]] = {}
    for file_id in sorted(needed):
        stat = manifest.files.get(file_id)
        if stat is None:
            return None  # a dependency the manifest does not describe: share nothing
        files[file_id] = [stat[1], stat[2]]
    outputs = {}
    document = ""
    for path in spec.outputs:
        out = manifest.outputs.get(path)
        if out is None:
            return None
        outputs[path] = [out.size, out.digest, out.document, out.key]
        if out.document and not document:
            document = path
    sections: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    entry = store.get(DOCUMENT + document) if document else None
    if isinstance(entry, list | tuple) and len(entry) == 2:
        for pair in entry[0]:
            key = SECTION + str(pair[1])
            value = store.get(key)
            if value is None:
                continue
            try:
                blob = encode_value(value)
            except Uncacheable:
                continue
            digest = sha256(blob)
            sections[key] = digest
            blobs[digest] = blob
    record = {
        "format": RECORD_FORMAT,
        "spec": spec_id,
        "deps": list(spec.deps),
        "resolved": resolved,
        "files": files,
        "outputs": outputs,
        "sections": sections,
    }
    return record, blobs


def upload(remote: Remote, manifest: Manifest, env: str, store: Store) -> None:
    """Share every spec of the manifest a trusted build wrote: sections first, then records."""
    records: dict[str, bytes] = {}
    blobs: dict[str, bytes] = {}
    for spec_id in sorted(manifest.specs):
        made = record_of(manifest, spec_id, store)
        if made is None:
            continue
        record, spec_blobs = made
        blobs.update(spec_blobs)
        key = spec_key(env, manifest.config, spec_id)
        records[key] = json.dumps(record, separators=(",", ":")).encode()
    # content before the records that name it: a reader never finds a record whose sections
    # are not there yet
    remote.put_many(CAS, blobs)
    remote.put_many(AC, records)


# -- the reading side: a fresh clone ---------------------------------------------------------


def _parse(raw: bytes, spec_id: str) -> dict[str, Any] | None:
    """A record, checked field by field; None for anything else."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        return None
    if record.get("spec") != spec_id:
        return None
    deps, resolved = record.get("deps"), record.get("resolved")
    files, outputs, sections = record.get("files"), record.get("outputs"), record.get("sections")
    if not (isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
        return None
    if not _str_map(resolved) or not _str_map(sections) or not isinstance(files, dict):
        return None
    for value in files.values():
        if not (_pair(value) and isinstance(value[0], int) and isinstance(value[1], str)):
            return None
    if not isinstance(outputs, dict) or not outputs:
        return None
    for path, value in outputs.items():
        if not _safe_path(path) or not isinstance(value, list) or len(value) != 4:
            return None
        size, digest, document, key = value
        if not (isinstance(size, int) and isinstance(digest, str)):
            return None
        if not (isinstance(document, bool) and isinstance(key, str)):
            return None
    return record


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _safe_path(path: str) -> bool:
    """A relative path with no `..`, `.` or empty part: one a build may have written."""
    parts = path.split("/")
    return (
        not path.startswith("/")
        and "\\" not in path
        and all(p not in ("", ".", "..") for p in parts)
    )


class Records:
    """The records a fresh clone fetched, and which of them describe this checkout."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}  # spec -> its record
        self.admitted: set[str] = set()
        self._digests: dict[str, tuple[int, str | None]] = {}

    def matches(self, inventory: Inventory, record: dict[str, Any]) -> bool:
        """Whether every input the record names is here, with the same bytes and names."""
        for dep, file_id in record["resolved"].items():
            kind, _, name = dep.partition(":")
            table = inventory.traits if kind == "t" else inventory.templates
            if kind not in ("t", "T") or table.get(name) != file_id:
                return False
        if ALL_TEMPLATES in record["deps"]:
            names = {dep[2:] for dep in record["resolved"] if dep.startswith("T:")}
            if names != set(inventory.templates):
                return False
        for dep in record["deps"]:
            kind = dep.partition(":")[0]
            if kind in ("t", "T") and dep != ALL_TEMPLATES and dep not in record["resolved"]:
                return False
        for file_id, (size, digest) in record["files"].items():
            if self._digest(inventory, file_id) != (size, digest):
                return False
        return True

    def _digest(self, inventory: Inventory, file_id: str) -> tuple[int, str | None]:
        known = self._digests.get(file_id)
        if known is None:
            if not _safe_path(file_id.removeprefix(BUILTIN)):
                known = (-1, None)
            else:
                path = inventory.path(file_id)
                try:
                    size = os.stat(path).st_size
                except OSError:
                    size = -1
                known = (size, digest_file(path) if size >= 0 else None)
            self._digests[file_id] = known
        return known


def fetch_records(
    remote: Remote, inventory: Inventory, specs: list[str], env: str, config_digest: str
) -> Records:
    """Ask for the record of each of `specs` at once; keep the well-formed ones."""
    records = Records()
    keys = {spec_key(env, config_digest, spec): spec for spec in specs}
    for key, raw in remote.get_many(AC, keys).items():
        spec = keys[key]
        record = _parse(raw, spec)
        if record is None:
            remote.poisoned(f"the record of {spec} is not one skillforge writes")
            continue
        records.found[spec] = record
        if records.matches(inventory, record):
            records.admitted.add(spec)
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
    for spec in sorted(records.admitted):
        record = records.found[spec]
        manifest.specs[spec] = SpecRecord(record["deps"], sorted(record["outputs"]))
        manifest.resolved.update(record["resolved"])
        for file_id, (size, digest) in record["files"].items():
            manifest.files[file_id] = [0, size, digest]
        for path, (size, digest, document, key) in record["outputs"].items():
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
        for key, digest in record["sections"].items() if record else ():
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
            if record and any(k in SEEDED for k in record["sections"]):
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


def open_remote(url: str, write: bool, warn: Callable[[str], None]) -> Remote:
    """The remote cache of this run (writing only with `--remote-write` or its variable)."""
    from skillforge.cache.remote import write_wanted

    return Remote(url, warn, write=write_wanted(write))


def begin(
    remote: Remote,
    inventory: Inventory,
    previous: Manifest | None,
    plan: Plan,
    config: Any,
    env: str,
    replan: Callable[[Manifest], Plan],
) -> tuple[Manifest | None, Plan]:
    """Before rendering: ask the remote about the dirty specs, all at once.

    Without a manifest (a fresh clone), the records that describe this checkout become the
    manifest, and `replan` plans again against it; then the sections of the specs still to
    render are fetched, so that rendering them looks each one up locally.
    """
    SEEDED.clear()
    dirty = list(plan.dirty)
    if not dirty:
        return previous, plan
    records = fetch_records(remote, inventory, dirty, env, config.digest)
    if previous is None:
        synthetic = synthetic_manifest(records, config, env)
        if synthetic is not None:
            plan = replan(synthetic)
            prune(synthetic, plan)
            previous = synthetic
    seed(remote, records, list(plan.dirty), plan)
    return previous, plan
