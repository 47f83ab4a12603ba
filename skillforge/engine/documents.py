"""One target's document of a spec while it is laid out, and the files several targets share.

`render.py` renders the sections once; each target's `Document` holds its translation and
its bytes. Targets writing one file are merged here (DESIGN §4 "Shared paths"), and what each
output's target dropped is kept for `stats` (DESIGN §4 "Translation, never silent loss").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from skillforge.errors import Problem, SpecError
from skillforge.state.digest import digest_value
from skillforge.state.files import unlink_quietly, write_temp
from skillforge.state.plain import Plain
from skillforge.targets.base import Ref, Target, Translation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.costs import OutputCost
    from skillforge.engine.load.config import Config
    from skillforge.engine.load.spec import Spec


class RenderedOutput(Plain):
    """One file of a spec's outputs, in memory."""

    def __init__(self, path: str, data: bytes, document: bool) -> None:
        self.path = path
        self.data = data
        self.document = document


class RenderedSpec(Plain):
    """Everything a spec produced, and what it depended on.

    `refs`: names of other specs it refers to (`Target.references`); `notes`: what `build
    --explain` adds (fragment calls that could not be cached, and why); per output, `dropped`:
    the spec's fields its target has no key for (DESIGN §4, `--json` "dropped"), and
    `path_notes`: what `--explain` says about its translation (drops, approximations).
    """

    def __init__(
        self,
        spec: str,
        outputs: list[RenderedOutput],
        document_key: str,
        sections: list[tuple[str, str]],
        heads_digest: str,
        deps: list[str],
        digests: dict[str, str] | None = None,
        name_origin: tuple[str, int | None] = ("", None),
        cost: OutputCost | None = None,
        warnings: tuple[Problem, ...] = (),
        refs: tuple[Ref, ...] = (),
        notes: list[str] | None = None,
        dropped: dict[str, list[str]] | None = None,
        path_notes: dict[str, list[str]] | None = None,
    ) -> None:
        self.spec = spec
        self.outputs = outputs
        self.document_key = document_key
        self.sections = sections
        self.heads_digest = heads_digest  # of its documents' heads, joined (`explain`)
        self.deps = deps
        self.digests: dict[str, str] = {} if digests is None else digests
        self.name_origin = name_origin
        self.cost = cost
        self.warnings = warnings
        self.refs = refs
        self.notes: list[str] = [] if notes is None else notes
        self.dropped: dict[str, list[str]] = {} if dropped is None else dropped
        self.path_notes: dict[str, list[str]] = {} if path_notes is None else path_notes


TEMP_MARK = ".skillforge-"


def output_paths(
    config: Config,
    target: Target,
    kind: str,
    name: str,
    prefixes: dict[tuple[str, str], str] | None = None,
) -> tuple[str, str | None]:
    """(document, folder for supporting files or None) of a spec's outputs, relative to the
    project root with forward slashes.

    `prefixes` keeps each target's out folder (per kind) for the next spec of the build.
    """
    document, folder = target.document(kind, name), target.files_folder(kind, name)
    if not _plain(document) or (folder is not None and not _plain(folder)):
        # a name that is not plain path segments: resolved the long way
        out_dir = config.out_of(target.name, kind)
        where = config.rel(out_dir / folder) if folder is not None else None
        return config.rel(out_dir / document), where
    prefix = prefixes.get((target.name, kind)) if prefixes is not None else None
    if prefix is None:
        out = config.rel(config.out_of(target.name, kind))
        prefix = "" if out == "." else out + "/"
        if prefixes is not None:
            prefixes[target.name, kind] = prefix
    return prefix + document, prefix + folder if folder is not None else None


def _plain(rel: str) -> bool:
    """Whether `out/rel`, joined as strings, is already what a path library would give: no
    part of it empty, `.` or `..`, no root, no backslash."""
    if not rel or "\\" in rel:
        return False
    framed = f"/{rel}/"
    return "//" not in framed and "/./" not in framed and "/../" not in framed


class Document:
    """One target's document of a spec, while it is laid out."""

    def __init__(self, target: Target, path: str, translation: Translation) -> None:
        self.target = target
        self.path = path
        self.translation = translation
        self.folder: str | None = None
        self.texts: list[str] = []
        self.base = ""
        self.head = ""
        self.data = b""
        self.key = ""  # the output key of its layout's render (report/model.output_key)
        self.shared = False  # another target of the build writes the same file

    @property
    def dropped(self) -> list[str]:
        return self.translation.dropped

    @property
    def approximated(self) -> list[str]:
        return self.translation.approximated

    @property
    def warnings(self) -> list[str]:
        return self.translation.warnings

    @property
    def sidecars(self) -> dict[str, str]:
        return self.translation.sidecars


def target_value(target: Target | None) -> dict[str, Any]:
    """The `target` variable of a template (DESIGN §4): its name and the tool's title."""
    return {"name": target.name, "title": target.title} if target is not None else {}


def sections_tokens(
    rendered: list[tuple[dict[str, Any], dict[str | None, tuple[str, str, int]]]],
    headings: dict[str, int],
    count: Callable[[str], int],
) -> int:
    """The tokens of a document's sections as the first target has them, headings included
    (`headings`: the tokens of each title's heading counted so far in this build)."""
    total = 0
    for section, per in rendered:
        _, text, tokens = next(iter(per.values()))
        total += tokens
        title = section.get("title")
        if title:
            heading = headings.get(title)
            if heading is None:
                heading = headings[title] = count(f"## {title}")
            total += heading + (1 if text else 0)
    return total


def section_texts(
    rendered: list[tuple[dict[str, Any], dict[str | None, tuple[str, str, int]]]],
    target: str | None,
) -> list[str]:
    """The sections of a document as `target` has them (None: no section reads `target`)."""
    texts: list[str] = []
    for section, per in rendered:
        text = (per[None] if None in per else per[target])[1]
        title = section.get("title")
        if title:
            texts.append(f"## {title}\n\n{text}" if text else f"## {title}")
        elif text:
            texts.append(text)
    return texts


def section_key(per: dict[str | None, tuple[str, str, int]]) -> str:
    """One key for a section rendered per target: the keys of its renders, by target."""
    return digest_value(sorted((str(k), v[0]) for k, v in per.items()))


def merge_shared(
    spec: Spec, docs: list[Document], lay_out: Callable[[Spec, Document], None]
) -> None:
    """Targets writing one file keep the keys all of them accept (DESIGN §4 "Shared paths").

    Each keeps, in the portable order, only its keys that every other target of the path
    accepts; the rest are reported as dropped for it. When the documents still differ
    (per-target overrides), the spec fails naming both targets and the first differing line.
    """
    groups: dict[str, list[Document]] = {}
    for doc in docs:
        groups.setdefault(doc.path, []).append(doc)
    for path, group in groups.items():
        if len(group) < 2:
            continue
        allowed, rank, last = _shared_rules(spec.kind, group)
        for doc in group:
            values = doc.translation.values
            keep = [k for k in values if allowed is None or k in allowed]
            if allowed is not None and len(keep) < len(values):
                dropped = doc.dropped
                dropped.extend(k for k in values if k not in allowed and k not in dropped)
            keep.sort(key=lambda k: rank.get(k, last))  # stable: the others keep their order
            merged = {k: values[k] for k in keep}
            values.clear()
            values.update(merged)
        first = group[0]
        lay_out(spec, first)
        for doc in group[1:]:
            same = doc.translation.values == first.translation.values and doc.texts == first.texts
            if same and type(doc.target).head is type(first.target).head:
                doc.head, doc.data = first.head, first.data  # the same bytes, by construction
            else:
                lay_out(spec, doc)
        for other in group[1:]:
            if other.data != first.data:
                line = _first_difference(first.data, other.data)
                file, at = spec.origin("targets") if "targets" in spec.data else spec.origin("name")
                raise SpecError.one(
                    file,
                    at,
                    "targets",
                    f"targets '{first.target.name}' and '{other.target.name}' both write "
                    f"{path}, and their versions differ at line {line[0]}: "
                    f"{line[1]!r} vs {line[2]!r}; make their fields agree (targets: overrides)",
                )
        for doc in group:
            doc.shared = True


def _shared_rules(
    kind: str, group: list[Document]
) -> tuple[frozenset[str] | None, dict[str, int], int]:
    """The keys all targets of a shared path accept (None: every key), the rank of each key
    in the portable order, and the rank of the others: a pure function of the targets and
    the kind, made once per build for each group of targets."""
    key = (kind, *(type(d.target) for d in group))
    found = _SHARED_RULES.get(key)
    if found is None:
        sets = [a for a in (d.target.head_keys(kind) for d in group) if a is not None]
        allowed = frozenset.intersection(*sets) if sets else None
        order = next((d.target.shared_order for d in group if d.target.shared_order), ())
        rank: dict[str, int] = {}
        for i, name in enumerate(order):
            rank.setdefault(name, i)  # (`order.index`: the first place of a key)
        found = _SHARED_RULES[key] = (allowed, rank, len(order))
    return found


_SHARED_RULES: dict[tuple[object, ...], tuple[frozenset[str] | None, dict[str, int], int]] = {}


def _first_difference(a: bytes, b: bytes) -> tuple[int, str, str]:
    left, right = a.decode("utf-8").split("\n"), b.decode("utf-8").split("\n")
    for i, (x, y) in enumerate(zip(left, right, strict=False)):
        if x != y:
            return i + 1, x, y
    n = min(len(left), len(right))
    return n + 1, (left[n] if n < len(left) else ""), (right[n] if n < len(right) else "")


DROPPED_FILE = "dropped.json"


def save_dropped(config: Config, results: Iterable[Any], outputs: Mapping[str, object]) -> None:
    """Keep what each output's target dropped, for `stats` (DESIGN §4: never silent).

    The entries of specs rendered now replace theirs; outputs no longer produced leave. The
    file is written only when that changes it (an edit of one spec of six targets must not
    rewrite the drops of 5,000 outputs).
    """

    path = os.path.join(config.cache_dir, DROPPED_FILE)
    known = _load_dropped(path)
    before = dict(known)
    for rendered in results:  # RenderedSpec
        for out in rendered.outputs:
            known.pop(out.path, None)
        known.update(rendered.dropped)
    if known == before and known.keys() <= outputs.keys():
        return
    known = {
        k: [str(x) for x in v]
        for k, v in sorted(known.items())
        if k in outputs and isinstance(k, str) and isinstance(v, list)
    }
    data = dumps_dropped(known).encode()
    tmp = f"{path}{TEMP_MARK}{os.getpid()}.tmp"
    try:
        write_temp(tmp, data)
        os.replace(tmp, path)
    except OSError:
        unlink_quietly(tmp)


def dumps_dropped(known: dict[str, list[str]]) -> str:
    """`json.dumps(known, indent=1, sort_keys=True)` for keys in order and lists of strings,
    through the C string encoder (`indent` makes `json` encode in Python)."""
    from json.encoder import encode_basestring_ascii as quoted

    if not known:
        return "{}"
    entries = [
        f" {quoted(k)}: [\n  " + ",\n  ".join(map(quoted, v)) + "\n ]" if v else f" {quoted(k)}: []"
        for k, v in known.items()
    ]
    return "{\n" + ",\n".join(entries) + "\n}"


def read_dropped(path: str) -> dict[str, list[str]]:
    """The saved drops (`save_dropped`); none when the file is missing or damaged."""
    return {
        k: [str(x) for x in v]
        for k, v in _load_dropped(path).items()
        if isinstance(k, str) and isinstance(v, list)
    }


def _load_dropped(path: str) -> dict[Any, Any]:
    """The file's table as decoded, its entries unchecked; empty when missing or damaged."""
    import json

    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read())
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}
