"""The Jinja2 environment of a build: project-over-built-in loader, bytecode cache, counters.

Imported where a build first needs Jinja2 (`RenderContext.env`): the versions and options
that key the caches are `templating.py`'s, which does not import it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from skillforge.cache.keys import BYTECODE
from skillforge.cache.local import Store
from skillforge.engine.jinja.sandbox import ENVIRONMENT
from skillforge.engine.jinja.templating import (
    ENV_OPTIONS,
    env_fingerprint,
    inside,
    size_problem,
)
from skillforge.report.model import Counters
from skillforge.state.digest import digest_value
from skillforge.state.inventory import BUILTIN, Inventory


class TemplateUnreadable(jinja2.TemplateNotFound):
    """A template that is there but cannot be used: unreadable, not UTF-8, or over the cap."""


class ProjectLoader(jinja2.BaseLoader):
    """Loads templates by name from the scanned project and built-in folders, nothing else."""

    def __init__(self, inventory: Inventory, max_bytes: int = 2**20) -> None:
        self.inventory = inventory
        self.max_bytes = max_bytes

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
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                # an over-size template is refused unread, not rendered (200 MB took 18 s, 1 GB)
                data = b"" if size > self.max_bytes else f.read(self.max_bytes + 1)
        except OSError as exc:
            reason = exc.strerror.lower() if exc.strerror else exc.__class__.__name__
            raise TemplateUnreadable(template, f"{file_id} cannot be read: {reason}") from None
        too_big = size_problem(file_id, max(size, len(data)), self.max_bytes)
        if too_big:
            raise TemplateUnreadable(template, too_big)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateUnreadable(
                template,
                f"{file_id} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8",
            ) from None
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


def make_environment(
    inventory: Inventory, store: Store, counters: Counters, max_bytes: int = 2**20
) -> jinja2.Environment:
    """Create the Environment every template of a build is loaded through (sandboxed)."""
    return ENVIRONMENT(
        loader=ProjectLoader(inventory, max_bytes),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=DiskBytecodeCache(store, counters, env_fingerprint()),
        cache_size=-1,
        **ENV_OPTIONS,
    )
