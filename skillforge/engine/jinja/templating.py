"""What the build knows of its Jinja2 environment without importing Jinja2 (nor PyYAML).

The environment itself (loader, bytecode cache) is `environment.py`, the sandbox it renders
in `sandbox.py`; what a template can reach is `analysis.py`. An edit whose sections need no
Jinja2 (plain text, or the plain substitutions of `substitute.py`) never imports it: the
versions that go into every cache key are read from the libraries' own files here.
"""

from __future__ import annotations

import os
import sys

from skillforge import __version__
from skillforge.state.digest import digest_value
from skillforge.state.inventory import BUILTIN, Inventory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The sandbox's options (sandbox.py makes its Environment with them).
ENV_OPTIONS: dict[str, Any] = {
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": False,
    "auto_reload": False,
}
# Bump when the sandbox compiles templates differently (compiled code is cached by it).
SANDBOX_REVISION = 4
# `sandbox.ENVIRONMENT.__qualname__` (tests/test_substitute.py checks they agree)
ENVIRONMENT_NAME = "TemplateSandbox"
LIBRARIES = ("jinja2", "yaml")


def library_file(name: str) -> str | None:
    """The `__init__.py` of library `name` (its `__file__`), found without importing it."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None)
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(name)
    return spec.origin if spec is not None and spec.has_location else None


def library_version(name: str) -> str:
    """`<name>.__version__`: from the module when it is imported, else read from the
    `__version__ = "x.y"` line of its `__init__.py` (imported when it has no such line)."""
    module = sys.modules.get(name)
    if module is None:
        path = library_file(name)
        try:
            with open(path or "", encoding="utf-8") as f:
                text = f.read(65536)
        except OSError:
            text = ""
        found = _version_line(text)
        if found is not None:
            return found
        import importlib

        module = importlib.import_module(name)
    return str(module.__version__)


def _version_line(text: str) -> str | None:
    """The string of a top-level `__version__ = "..."` line of a module's source, if one."""
    at = text.find("\n__version__")
    while at != -1:
        line = text[at + 1 : text.find("\n", at + 1) if text.find("\n", at + 1) != -1 else None]
        name, equals, value = line.partition("=")
        value = value.strip()
        if (
            equals
            and name.strip() == "__version__"
            and len(value) >= 2
            and value[0] == value[-1]
            and value[0] in "'\""
            and value[0] not in value[1:-1]
            and "\\" not in value
        ):
            return value[1:-1]
        at = text.find("\n__version__", at + 1)
    return None


def env_fingerprint() -> str:
    """Digest of everything besides a template's source that changes its compiled code."""
    return digest_value(
        "env",
        __version__,
        library_version("jinja2"),
        sys.version,
        ENVIRONMENT_NAME,
        SANDBOX_REVISION,
        sorted(ENV_OPTIONS.items()),
    )


def environment_digest() -> str:
    """Digest of skillforge, Jinja2, PyYAML and Python versions (a change rebuilds all)."""
    return digest_value(
        __version__,
        library_version("jinja2"),
        library_version("yaml"),
        sys.version,
        ENVIRONMENT_NAME,
    )


def environment_files() -> dict[str, list[int]]:
    """Stats of the library files the fast path checks instead of importing the libraries."""
    found: dict[str, list[int]] = {}
    for name in LIBRARIES:
        path = library_file(name)
        if path:
            st = os.stat(path)
            found[path] = [st.st_mtime_ns, st.st_size]
    return found


def inside(path: str, root: str) -> bool:
    """True when `path`, with every symlink resolved, is under `root` (resolved too)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def size_problem(file_id: str, size: int, max_bytes: int) -> str | None:
    """Say why a template file of `size` bytes cannot be loaded (None when it can)."""
    if size > max_bytes:
        return (
            f"{file_id} is {size:,} bytes, over the {max_bytes:,}-byte limit "
            "([build] max_template_bytes); split it into smaller templates"
        )
    return None


def template_source(inventory: Inventory, name: str, max_bytes: int) -> str | None:
    """The source of template `name` as `environment.ProjectLoader` reads it, without
    Jinja2; None when the loader would refuse it (it then raises, saying why)."""
    file_id = inventory.templates.get(name)
    if file_id is None:
        return None
    path = inventory.path(file_id)
    if not file_id.startswith(BUILTIN) and not inside(path, inventory.root):
        return None
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > max_bytes:
                return None
            data = f.read(max_bytes + 1)
        return data.decode("utf-8") if len(data) <= max_bytes else None
    except (OSError, UnicodeDecodeError):
        return None
