"""Find a project's spec, trait and template files, with their stats, in one pass.

Standard library only (`os`): the no-op fast path runs this before anything heavy is
imported. File ids are paths relative to the project root, or `builtin:<name>` for built-in
templates.
"""

from __future__ import annotations

import os
from itertools import accumulate, chain, compress
from operator import attrgetter

from skillforge.state.fdwalk import SUPPORTED, walk_fd
from skillforge.state.heap import keep

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BUILTIN = "builtin:"
SPEC_SUFFIXES = (".yaml", ".yml")
# A separator no file name holds: the ids of `Inventory.table` (and of the hot table) joined
SEP = "\0"


def builtin_templates_dir() -> str:
    """Return the built-in template folder: inside the wheel, or the repository's `templates/`."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    inside = os.path.join(package, "templates")
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(package), "templates")


class _Expanded:
    """`Inventory.files` and `Inventory.specs`, made from the scan's parts when first read.

    Once made they live in the inventory's own attributes, which Python finds before this
    (a descriptor without `__set__`): read again, or assigned, they cost what a plain
    attribute does."""

    __slots__ = ("name",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, inv: Inventory | None, owner: type | None = None) -> Any:
        if inv is None:
            return self
        inv._expand()
        return inv.__dict__[self.name]


if TYPE_CHECKING:
    _Files = dict[str, tuple[int, int]]
    # a spec folder's files as the scan found them: (file id prefix, names, stats, whether
    # the folder is a partial one, whose files are no specs)
    Part = tuple[str, list[str], list[os.stat_result], bool]


class Inventory:
    """Every input file of a project found by scanning its folders.

    `files` (file id -> (mtime_ns, size), in the scan's order) and `specs` (the sorted spec
    ids) are made when first read from what the scan of the spec folders found (`_parts`):
    a no-op of 10,000 specs compares `table()` with the last build's and reads neither."""

    if TYPE_CHECKING:
        files: _Files
        specs: list[str]
    else:
        files = _Expanded()
        specs = _Expanded()

    def __init__(self, root: str, builtin: str) -> None:
        self.root = root
        self.builtin = builtin
        self._root_prefix = root.rstrip(os.sep) + os.sep
        self._builtin_prefix = builtin.rstrip(os.sep) + os.sep
        # the spec folders' files, and the trait and template files after them (`files`)
        self._parts: list[Part] = []
        self._rest: _Files = {}
        self.traits: dict[str, str] = {}
        self.templates: dict[str, str] = {}
        # (path relative to the root, message): folders that could not be read, symlink loops,
        # links out of the project. Each is an error of the build; the rest still builds.
        self.problems: list[tuple[str, str]] = []

    def _expand(self) -> None:
        """Make `files` and `specs` from the parts (once: they then shadow the descriptors);
        one already assigned (`watch` sets both) is kept."""
        files: _Files = {}
        specs: list[str] = []
        for start, names, stats, partial in self._parts:
            ids = list(map(start.__add__, names))
            files.update(zip(ids, map(_STAT_KEY, stats), strict=True))
            if not partial:  # a file whose name starts with "_" is a partial, not a spec
                specs.extend([i for i, n in zip(ids, names, strict=True) if n[0] != "_"])
        files.update(self._rest)
        specs.sort()
        mine = self.__dict__
        mine.setdefault("files", files)
        mine.setdefault("specs", specs)
        self._parts, self._rest = [], {}

    def _made(self) -> bool:
        """Whether `files` or `specs` is made (or assigned): the parts then no longer say."""
        mine = self.__dict__
        return "files" in mine or "specs" in mine

    def table(self) -> tuple[str, list[int]]:
        """The ids of `files` joined by NUL, and their (mtime_ns, size) pairs as one list
        (mtime, size, mtime, size...): what the hot table records (state/hot.py). Made from
        the parts, when `files` is not made yet, with a few calls (in C) per folder."""
        return self.joined_ids(), self.flat_stats()

    def joined_ids(self) -> str:
        """The ids of `files` joined by NUL (`table`'s first half)."""
        if self._made():
            return SEP.join(self.files)
        joined = [(start + (SEP + start).join(names)) for start, names, _, _ in self._parts]
        joined.extend(self._rest)
        return SEP.join(joined)

    def flat_stats(self) -> list[int]:
        """The (mtime_ns, size) pairs of `files` as one list (`table`'s second half)."""
        if self._made():
            return list(chain.from_iterable(self.files.values()))
        found = list(chain.from_iterable([stats for _, _, stats, _ in self._parts]))
        flat = [0] * (2 * len(found))
        flat[::2] = map(_MTIME, found)
        flat[1::2] = map(_SIZE, found)
        flat.extend(chain.from_iterable(self._rest.values()))
        return flat

    def file_ids(self) -> list[str] | FileIds:
        """The ids of `files`, in their order: a list once `files` is made; before, a view of
        the parts that makes only the ids asked for (an edit among 10,000 asks for one)."""
        if self._made():
            return list(self.files)
        return FileIds(self._parts, list(self._rest))

    def spec_count(self) -> int:
        """`len(self.specs)`, counted from the parts when `specs` is not made yet."""
        if self._made():
            return len(self.specs)
        count = 0
        for _, names, _, partial in self._parts:
            if not partial:
                count += len(names) - (SEP + SEP.join(names)).count(SEP + "_")
        return count

    def hides(self, file_id: str) -> bool:
        """Whether `file_id` may exist in a place the scan could not see (see `problems`)."""
        return any(file_id == p or file_id.startswith(p + "/") for p, _ in self.problems)

    def path(self, file_id: str) -> str:
        """Return the absolute path of a file id."""
        if file_id.startswith(BUILTIN):
            return self._builtin_prefix + file_id[len(BUILTIN) :]
        return self._root_prefix + file_id


class FileIds:
    """The file ids of an inventory's parts and the files after them, by their place."""

    __slots__ = ("_ends", "_parts", "_rest")

    def __init__(self, parts: list[Part], rest: list[str]) -> None:
        self._parts, self._rest = parts, rest
        self._ends = list(accumulate(len(names) for _, names, _, _ in parts))

    def __len__(self) -> int:
        return (self._ends[-1] if self._ends else 0) + len(self._rest)

    def __getitem__(self, index: int) -> str:
        from bisect import bisect_right  # an edit's few ids only: not on the no-op's path

        if not 0 <= index < len(self):
            raise IndexError(index)
        at = bisect_right(self._ends, index)
        if at == len(self._parts):
            return self._rest[index - (self._ends[-1] if self._ends else 0)]
        start, names, _, _ = self._parts[at]
        return start + names[index - (self._ends[at - 1] if at else 0)]


def scan(root: str, specs: list[str], traits: list[str], templates: list[str]) -> Inventory:
    """Scan the spec, trait and template folders (absolute paths; missing ones are empty)."""
    inv = Inventory(root, builtin_templates_dir())
    walker = _Walker(root, inv.problems)
    bases = [_base(folder, root) for folder in specs]
    # the spec folders' files kept as found (`Inventory._parts`) where each is walked by its
    # descriptor; else (another system, a folder outside the project) `files` made at once
    by_fd = SUPPORTED and None not in bases
    files = inv._rest if by_fd else inv.files
    for folder, base in zip(specs, bases, strict=True):
        # one folder at a time, in C where it can be (`map`, `zip`): 10,000 specs are 10,000
        # files, and a no-op must stat each (issue 17)
        if by_fd:
            assert base is not None
            _scan_specs(inv, walker, folder, base)
            continue
        for prefix, entries in walker.walk_folders(folder):
            chosen = [e for e in entries if e.name.endswith(SPEC_SUFFIXES)]
            if not chosen:
                continue
            if base is not None:
                start = base + prefix
                ids = [start + e.name for e in chosen]
            else:
                ids = [_rel(e.path, root) for e in chosen]
            files.update(zip(ids, map(_STAT_KEY, map(_ENTRY_STAT, chosen)), strict=True))
            # a file or folder whose name starts with "_" is a partial, not a spec
            if prefix[:1] != "_" and "/_" not in prefix:
                inv.specs.extend([i for i, e in zip(ids, chosen, strict=True) if e.name[0] != "_"])
    for folder in traits:
        base = _base(folder, root)
        for rel, entry in walker.walk(folder):
            if not entry.name.endswith(SPEC_SUFFIXES) or "/" in rel:
                continue
            file_id = base + rel if base is not None else _rel(entry.path, root)
            st = entry.stat()
            files[file_id] = (st.st_mtime_ns, st.st_size)
            inv.traits.setdefault(entry.name.rsplit(".", 1)[0], file_id)
    sources: list[tuple[str, str | None]] = [(folder, _base(folder, root)) for folder in templates]
    sources.append((inv.builtin, BUILTIN))
    for folder, base in sources:
        # built-in templates live in the package; a project template linked outside is refused
        # where a spec uses it (render.py), naming the spec's line
        walker.outside_ok = True
        for name, entry in walker.walk(folder):
            if name in inv.templates:
                continue
            file_id = base + name if base is not None else _rel(entry.path, root)
            st = entry.stat()
            files[file_id] = (st.st_mtime_ns, st.st_size)
            inv.templates[name] = file_id
    if not by_fd:
        inv.specs.sort()
    return inv


def _scan_specs(inv: Inventory, walker: _Walker, folder: str, base: str) -> None:
    """The spec folder `folder` (file ids `base` + its path in it) by its descriptor, kept
    as parts (`Inventory._parts`): the names and stats of its spec files, folder by folder."""
    found = walk_fd(folder, walker._problem, walker._linked_ok)
    keep(found)  # 10,000 stat results: not freed one by one in a process about to end
    parts = inv._parts
    for prefix, names, stats in found:
        if not names:
            continue
        # most folders hold spec files only: told by two counts of the names joined (in C)
        joined = SEP.join(names) + SEP
        if joined.count(".yaml" + SEP) + joined.count(".yml" + SEP) != len(names):
            chosen = [n.endswith(SPEC_SUFFIXES) for n in names]
            names, stats = list(compress(names, chosen)), list(compress(stats, chosen))
            if not names:
                continue
        # a folder whose name starts with "_" is a partial one: none of its files is a spec
        parts.append((base + prefix, names, stats, prefix[:1] == "_" or "/_" in prefix))


# (mtime_ns, size) of a stat result, and the stat of a scanned entry: called from C by `map`
_STAT_KEY = attrgetter("st_mtime_ns", "st_size")
_MTIME, _SIZE = attrgetter("st_mtime_ns"), attrgetter("st_size")
_ENTRY_STAT = os.DirEntry.stat


class _Walker:
    """Walk input folders; what cannot be walked becomes a problem, not an exception."""

    def __init__(self, root: str, problems: list[tuple[str, str]]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.problems = problems
        self.outside_ok = False

    def walk(self, top: str) -> list[tuple[str, os.DirEntry[str]]]:
        """Return (path relative to `top`, "/"-separated; entry) of every file under `top`."""
        return [(prefix + e.name, e) for prefix, files in self.walk_folders(top) for e in files]

    def walk_folders(self, top: str) -> list[tuple[str, list[os.DirEntry[str]]]]:
        """Return (path of a folder relative to `top`, "/"-separated and ending in "/", or "";
        files of it) for every folder under `top`: `walk`, in the same order, a folder at a
        time (a folder's files after a subfolder are a part of their own)."""
        found: list[tuple[str, list[os.DirEntry[str]]]] = []
        self._walk(top, "", (), found)
        return found

    def _walk(
        self,
        top: str,
        prefix: str,
        seen: tuple[str, ...],
        found: list[tuple[str, list[os.DirEntry[str]]]],
    ) -> None:
        try:
            entries = list(os.scandir(top))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            self._problem(
                top,
                f"cannot read this folder ({exc.strerror or exc}); fix its "
                "permissions or remove it",
            )
            return
        files: list[os.DirEntry[str]] = []
        found.append((prefix, files))
        add = files.append
        for entry in entries:
            name = entry.name
            if name[0] == "." or name == "__pycache__":
                continue
            try:
                if entry.is_file(follow_symlinks=False):  # most entries: a plain file
                    add(entry)
                    continue
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
                linked = (is_dir or is_file) and entry.is_symlink()
            except OSError as exc:
                self._problem(entry.path, f"cannot be read ({exc.strerror or exc})")
                continue
            if linked and not self._linked_ok(entry.path, is_dir, seen):
                continue
            if is_file:
                add(entry)
            elif is_dir:
                chain = (*seen, os.path.realpath(top)) if linked else seen
                self._walk(entry.path, prefix + name + "/", chain, found)
                files = []  # this folder's next files come after the subfolder's
                found.append((prefix, files))
                add = files.append

    def _linked_ok(self, path: str, is_dir: bool, seen: tuple[str, ...]) -> bool:
        """A symlink is followed only to a place inside the project, and never in a loop."""
        real = os.path.realpath(path)
        if not self.outside_ok and not (
            real == self.real_root or real.startswith(self.real_root + os.sep)
        ):
            self._problem(
                path,
                "is a symbolic link to outside the project; inputs must live in the project "
                "(copy the file in, or remove the link)",
            )
            return False
        if is_dir:
            here = os.path.realpath(os.path.dirname(path))
            if any(real == s or s.startswith(real + os.sep) for s in (*seen, here)):
                self._problem(
                    path, "is a symbolic link loop (it links to a folder above it); remove the link"
                )
                return False
        return True

    def _problem(self, path: str, message: str) -> None:
        self.problems.append((_rel(path, self.root), message))


def _base(folder: str, root: str) -> str | None:
    """The file id prefix of the files under `folder` ("specs/"), None when it has none."""
    prefix = root.rstrip(os.sep) + os.sep
    if os.sep != "/":
        return None
    if folder.rstrip(os.sep) == root.rstrip(os.sep):
        return ""
    if folder.startswith(prefix) and ".." not in folder.split(os.sep):
        return folder[len(prefix) :].rstrip(os.sep) + "/"
    return None


def _rel(path: str, root: str) -> str:
    prefix = root.rstrip(os.sep) + os.sep
    if path.startswith(prefix) and os.sep == "/":
        return path[len(prefix) :]
    return os.path.relpath(path, root).replace(os.sep, "/")
