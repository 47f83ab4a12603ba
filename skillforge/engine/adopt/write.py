"""Write what an import planned: specs, their supporting files, shared templates; record adoption.

Every file is created with O_EXCL, so nothing that exists is ever replaced (a supporting
file already there with the same bytes is kept). The outputs themselves are never written
here: for each imported document that the next build will rewrite (import said why), the
manifest records the file's bytes as they are now, so that build replaces it without
`--force` while a hand edit made after the import still stops it (DESIGN §4).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from skillforge.engine.adopt.plan import Planned
from skillforge.engine.load.config import Config
from skillforge.state.digest import digest_bytes
from skillforge.state.files import unlink_quietly, write_temp
from skillforge.state.lock import ensure_cache_dir
from skillforge.state.manifest import Manifest, OutputRecord, read_manifest, write_manifest


class Exists(Exception):
    """A file import would create is already there with other bytes."""


def create(path: str, data: bytes, same_ok: bool = False) -> bool:
    """Create `path` whole with `data`; False when it exists with these bytes and `same_ok`.

    The bytes go to a temp file first, which is then hard-linked to `path`: the link fails
    when `path` exists (nothing is replaced), and an interrupted import leaves no half file.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        return _same(path, data, same_ok)
    tmp = f"{path}.{os.getpid()}.tmp"
    write_temp(tmp, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return _same(path, data, same_ok)
    finally:
        unlink_quietly(tmp)
    return True


def _same(path: str, data: bytes, same_ok: bool) -> bool:
    if same_ok and not os.path.islink(path) and os.path.isfile(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    raise Exists(path)


def write_spec(config: Config, item: Planned, text: str) -> list[str]:
    """Write one spec and its supporting files; return the paths created (root-relative)."""
    root = str(config.root)
    spec_path = os.path.join(root, item.spec_rel)
    folder = os.path.dirname(spec_path)
    created: list[str] = []
    # the supporting files first: a spec is only written once everything it reads is there
    for entry, (_, src) in zip(item.data.get("files", []), item.source.files, strict=True):
        with open(src, "rb") as f:
            data = f.read()
        path = os.path.join(folder, entry["src"])
        if create(path, data, same_ok=True):
            created.append(config.rel(path))
    create(spec_path, text.encode("utf-8"))
    created.append(item.spec_rel)
    return created


def record_adoption(config: Config, items: list[Planned], warn: Callable[[str], None]) -> int:
    """Record, in the manifest, each output the next build rewrites; return how many."""
    rewrite = [(i.output_rel, i.current) for i in items if i.rewrites]
    rewrite.extend(copy for i in items for copy in i.also)
    if not rewrite:
        return 0
    cache_dir = str(config.cache_dir)
    ensure_cache_dir(cache_dir, warn)
    try:
        manifest = read_manifest(cache_dir) or Manifest()
    except ValueError:
        manifest = Manifest()
    for rel, current in rewrite:
        assert current is not None
        if rel not in manifest.outputs:
            manifest.outputs[rel] = OutputRecord(0, -1, digest_bytes(current), True, "")
    write_manifest(cache_dir, manifest)
    return len(rewrite)
