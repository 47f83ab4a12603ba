"""The Jinja2 environment of a build: project-over-built-in loader, bytecode cache, counters.

The sandbox it renders in is `sandbox.py`; what a template can reach is `analysis.py`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2
import yaml
from jinja2.bccache import Bucket, BytecodeCache

from skillforge import __version__
from skillforge.cache.keys import BYTECODE
from skillforge.cache.local import Store
from skillforge.engine.sandbox import ENV_OPTIONS, ENVIRONMENT, SANDBOX_REVISION
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.inventory import BUILTIN, Inventory


def env_fingerprint() -> str:
    """Digest of everything besides a template's source that changes its compiled code."""
    return digest_value(
        "env",
        __version__,
        jinja2.__version__,
        sys.version,
        ENVIRONMENT.__qualname__,
        SANDBOX_REVISION,
        sorted(ENV_OPTIONS.items()),
    )


def environment_digest() -> str:
    """Digest of skillforge, Jinja2, PyYAML and Python versions (a change rebuilds all)."""
    return digest_value(
        __version__, jinja2.__version__, yaml.__version__, sys.version, ENVIRONMENT.__qualname__
    )


def environment_files() -> dict[str, list[int]]:
    """Stats of the library files the fast path checks instead of importing the libraries."""
    found: dict[str, list[int]] = {}
    for module in (jinja2, yaml):
        path = module.__file__
        if path:
            st = os.stat(path)
            found[path] = [st.st_mtime_ns, st.st_size]
    return found


@dataclass
class Counters:
    """Hits and misses of each cache layer in one build (`build --json`, `stats`)."""

    templates_compiled: int = 0
    templates_cached: int = 0
    fragments_rendered: int = 0
    fragments_cached: int = 0
    sections_rendered: int = 0
    sections_cached: int = 0
    documents_rendered: int = 0
    documents_cached: int = 0
    strings_rendered: int = 0  # Jinja in string fields (strings.py)
    strings_cached: int = 0
    template_times: dict[str, list[float]] = field(default_factory=dict)
    # a short digest of each render's output, in the order of `template_times` (for `stats`:
    # renders that repeat an output are what a cache could have served)
    template_outputs: dict[str, list[str]] = field(default_factory=dict)

    def add(self, other: Counters) -> None:
        for name in (
            "templates_compiled",
            "templates_cached",
            "fragments_rendered",
            "fragments_cached",
            "sections_rendered",
            "sections_cached",
            "documents_rendered",
            "documents_cached",
            "strings_rendered",
            "strings_cached",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, times in other.template_times.items():
            self.template_times.setdefault(name, []).extend(times)
        for name, outputs in other.template_outputs.items():
            self.template_outputs.setdefault(name, []).extend(outputs)

    def take(self) -> Counters:
        """Return a copy of the counters and reset them to zero (in place)."""
        copy = Counters()
        copy.add(self)
        for name, value in vars(self).items():
            if isinstance(value, int):
                setattr(self, name, 0)
        self.template_times = {}
        self.template_outputs = {}
        return copy

    def as_dict(self) -> dict[str, int]:
        """The counters by name (the `build --json` layers read them)."""
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def timed(self, name: str, seconds: float, output: str = "") -> None:
        self.template_times.setdefault(name, []).append(seconds)
        self.template_outputs.setdefault(name, []).append(digest_bytes(output.encode("utf-8"))[:16])


def inside(path: str, root: str) -> bool:
    """True when `path`, with every symlink resolved, is under `root` (resolved too)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


class ProjectLoader(jinja2.BaseLoader):
    """Loads templates by name from the scanned project and built-in folders, nothing else."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        file_id = self.inventory.templates.get(template)
        if file_id is None:
            raise jinja2.TemplateNotFound(template)
        path = self.inventory.path(file_id)
        if not file_id.startswith(BUILTIN) and not inside(path, self.inventory.root):
            # a symlink in a template folder must not read (and publish) a file from elsewhere
            raise jinja2.TemplateNotFound(
                f"{template} ({file_id} resolves outside the project through a symlink)"
            )
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise jinja2.TemplateNotFound(f"{template} ({exc})") from None
        return source, file_id, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.inventory.templates)


class DiskBytecodeCache(BytecodeCache):
    """Jinja2 bytecode in the skillforge cache, keyed by name, source, Jinja2 and options."""

    def __init__(self, store: Store, counters: Counters, fingerprint: str) -> None:
        self.store = store
        self.counters = counters
        self.fingerprint = fingerprint

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        checksum = self.get_source_checksum(source)
        bucket = Bucket(environment, digest_value("bc", name, checksum, self.fingerprint), checksum)
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get(BYTECODE + bucket.key)
        if isinstance(data, bytes):
            bucket.bytecode_from_string(data)
        if bucket.code is not None:
            self.counters.templates_cached += 1

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.counters.templates_compiled += 1
        self.store.set(BYTECODE + bucket.key, bucket.bytecode_to_string())


def make_environment(inventory: Inventory, store: Store, counters: Counters) -> jinja2.Environment:
    """Create the Environment every template of a build is loaded through (sandboxed)."""
    return ENVIRONMENT(
        loader=ProjectLoader(inventory),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=DiskBytecodeCache(store, counters, env_fingerprint()),
        cache_size=-1,
        **ENV_OPTIONS,
    )
