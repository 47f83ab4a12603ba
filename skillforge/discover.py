"""Find a project's spec, trait and template files, with their stats, in one pass.

Standard library only (`os`): the no-op fast path runs this before anything heavy is
imported. File ids are paths relative to the project root, or `builtin:<name>` for built-in
templates.
"""

from __future__ import annotations

import os

BUILTIN = "builtin:"
SPEC_SUFFIXES = (".yaml", ".yml")


def builtin_templates_dir() -> str:
    """Return the built-in template folder: inside the wheel, or the repository's `templates/`."""
    package = os.path.dirname(os.path.abspath(__file__))
    inside = os.path.join(package, "templates")
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(package), "templates")


class Inventory:
    """Every input file of a project found by scanning its folders."""

    def __init__(self, root: str, builtin: str) -> None:
        self.root = root
        self.builtin = builtin
        self._root_prefix = root.rstrip(os.sep) + os.sep
        self._builtin_prefix = builtin.rstrip(os.sep) + os.sep
        self.specs: list[str] = []
        self.files: dict[str, tuple[int, int]] = {}
        self.traits: dict[str, str] = {}
        self.templates: dict[str, str] = {}

    def path(self, file_id: str) -> str:
        """Return the absolute path of a file id."""
        if file_id.startswith(BUILTIN):
            return self._builtin_prefix + file_id[len(BUILTIN) :]
        return self._root_prefix + file_id


def scan(root: str, specs: list[str], traits: list[str], templates: list[str]) -> Inventory:
    """Scan the spec, trait and template folders (absolute paths; missing ones are empty)."""
    inv = Inventory(root, builtin_templates_dir())
    for folder in specs:
        for parts, entry in _walk(folder, ()):
            if not entry.name.endswith(SPEC_SUFFIXES):
                continue
            file_id = _rel(entry.path, root)
            st = entry.stat()
            inv.files[file_id] = (st.st_mtime_ns, st.st_size)
            if not any(part.startswith("_") for part in parts):
                inv.specs.append(file_id)
    for folder in traits:
        for parts, entry in _walk(folder, ()):
            if not entry.name.endswith(SPEC_SUFFIXES) or len(parts) != 1:
                continue
            file_id = _rel(entry.path, root)
            st = entry.stat()
            inv.files[file_id] = (st.st_mtime_ns, st.st_size)
            inv.traits.setdefault(entry.name.rsplit(".", 1)[0], file_id)
    sources: list[tuple[str, str]] = [(folder, "") for folder in templates]
    sources.append((inv.builtin, BUILTIN))
    for folder, prefix in sources:
        for parts, entry in _walk(folder, ()):
            name = "/".join(parts)
            if name in inv.templates:
                continue
            file_id = prefix + name if prefix else _rel(entry.path, root)
            st = entry.stat()
            inv.files[file_id] = (st.st_mtime_ns, st.st_size)
            inv.templates[name] = file_id
    inv.specs.sort()
    return inv


def _walk(top: str, parts: tuple[str, ...]) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    found: list[tuple[tuple[str, ...], os.DirEntry[str]]] = []
    try:
        entries = list(os.scandir(top))
    except (FileNotFoundError, NotADirectoryError):
        return found
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_walk(entry.path, (*parts, entry.name)))
        elif entry.is_file():
            found.append(((*parts, entry.name), entry))
    return found


def _rel(path: str, root: str) -> str:
    prefix = root.rstrip(os.sep) + os.sep
    if path.startswith(prefix) and os.sep == "/":
        return path[len(prefix) :]
    return os.path.relpath(path, root).replace(os.sep, "/")
