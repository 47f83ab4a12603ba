"""Load a spec with its base (`extends`) and traits, and merge them (DESIGN §3).

Order of merge: the base (its own base first), each trait in the listed order, the spec.
Maps merge deeply, scalars and lists are replaced, sections merge by id.
"""

from __future__ import annotations

import contextlib
import os

from skillforge import __version__
from skillforge.cache.keys import SPEC
from skillforge.cache.local import Store
from skillforge.engine.load.config import Config
from skillforge.engine.load.literal import mark_literal, take_literal
from skillforge.engine.load.schema import check_layer, check_merged
from skillforge.engine.load.yamlsafe import Lines, load_yaml
from skillforge.errors import Problem, SpecError, hint
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.inventory import Inventory
from skillforge.state.plain import Plain
from skillforge.state.plan import ABSENT, ALL_TEMPLATES, ALL_TRAITS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Origin = tuple[str, int | None]
_META = ("extends", "traits")


class Spec(Plain):
    """A merged, validated spec, ready to render. `warnings`: rules a target other than this
    build's would enforce; `literal`: the paths of strings a `render: false` file set (kept
    literal; see literal.py)."""

    def __init__(
        self,
        file: str,
        kind: str,
        name: str,
        data: dict[str, Any],
        sections: list[dict[str, Any]],
        files: list[dict[str, Any]],
        deps: list[str],
        where: dict[str, Origin] | None = None,
        warnings: tuple[Problem, ...] = (),
        literal: frozenset[tuple[str | int, ...]] = frozenset(),
    ) -> None:
        self.file, self.kind, self.name, self.data = file, kind, name, data
        self.sections, self.files, self.deps = sections, files, deps
        self.where: dict[str, Origin] = {} if where is None else where
        self.warnings = warnings
        self.literal = literal

    def origin(self, key: str) -> Origin:
        """Return the file and line where a field (or `sections.<id>`) was set; a sub-field
        that was not recorded (`files[0].src`) falls back to its parent."""
        found = self.where.get(key)
        while found is None and "." in key:
            key = key.rsplit(".", 1)[0]
            found = self.where.get(key)
        return found or (self.file, None)


class SpecLoader:
    """Parses spec, base and trait files once per build and merges them into `Spec`s."""

    def __init__(self, config: Config, inventory: Inventory) -> None:
        self.config = config
        self.inventory = inventory
        self._parsed: dict[str, tuple[Any, Lines, list[Problem]]] = {}
        self.digests: dict[str, str] = {}
        self.fresh: set[str] = set()  # files read since the caller last cleared it
        self._with_keys: dict[str, Any] = {}  # built-in template -> its declared `with:` keys
        # the inputs the last `load` read, besides the spec's own file: when it failed, what
        # its errors depend on (a replay of them needs all of these unchanged, DESIGN §5)
        self.reached: list[str] = []

    def parse(self, file_id: str) -> tuple[Any, Lines, list[Problem]]:
        """Read and check one YAML file; problems are returned, not raised."""
        if file_id in self._parsed:
            return self._parsed[file_id]
        problems: list[Problem] = []
        data: Any = None
        lines: Lines = {}
        try:
            data, lines = self._read(file_id)
            check_layer(data, file_id, lines, problems)
        except SpecError as exc:
            problems.extend(exc.problems)
        self._parsed[file_id] = (data, lines, problems)
        return data, lines, problems

    def _read(self, file_id: str) -> tuple[Any, Lines]:
        path = self.inventory.path(file_id)
        try:
            size = os.path.getsize(path)
            if size > self.config.max_spec_bytes:
                raise SpecError.one(
                    file_id,
                    None,
                    None,
                    f"file is {size:,} bytes, over the {self.config.max_spec_bytes:,}-byte limit "
                    "([build] max_spec_bytes)",
                )
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as exc:
            raise SpecError.one(file_id, None, None, f"cannot read: {exc.strerror}") from None
        self.digests[file_id] = digest_bytes(raw)
        self.fresh.add(file_id)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise SpecError.one(
                file_id, line, None, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
            ) from None
        return load_yaml(text.removeprefix("\ufeff"), file_id)

    def load_through(
        self,
        file_id: str,
        store: Store,
        layers: list[tuple[str, str]] | None,
        remember: bool,
    ) -> Spec:
        """Load a spec, from the cache when its YAML files (`layers`) are known unchanged.

        With `remember`, the spec is stored under the digests of the files it was merged
        from, so a later build that re-renders it for another reason (a template edit) skips
        YAML entirely. A cold build does not remember: storing a thousand specs costs more
        than the first template edit saves.
        """
        if layers is not None:
            cached = store.get(self._key(layers))
            # stored as data (cache.py: nothing in the cache is unpickled), made a Spec again
            if isinstance(cached, dict) and cached.get("file") == file_id:
                with contextlib.suppress(TypeError):
                    return Spec(**cached)
        spec = self.load(file_id)
        if not remember:
            return spec
        files = {file_id}
        for dep in spec.deps:
            if dep.startswith("f:"):
                files.add(dep[2:])
            elif dep.startswith("t:") and dep[2:] in self.inventory.traits:
                files.add(self.inventory.traits[dep[2:]])
        if all(f in self.digests for f in files):
            store.set(self._key([(f, self.digests[f]) for f in sorted(files)]), dict(vars(spec)))
        return spec

    def forget(self, file_ids: set[str]) -> None:
        """Drop what was parsed from files that changed (a warm loader reads them again)."""
        for file_id in file_ids:
            self._parsed.pop(file_id, None)
            self.digests.pop(file_id, None)

    def _key(self, layers: list[tuple[str, str]]) -> str:
        return SPEC + digest_value(__version__, self.config.digest, layers)

    def load(self, file_id: str) -> Spec:
        """Load, merge and validate one spec; raise SpecError with every problem found.

        On failure, `reached` names the inputs the problems depend on: none but the spec's
        own file when its YAML is broken; the bases and traits it read (and those it found
        missing) when they fail; every template and trait name when the merged spec fails.
        """
        problems: list[Problem] = []
        deps: list[str] = []
        self.reached = deps
        data, lines, own = self.parse(file_id)
        problems.extend(own)
        if not isinstance(data, dict):
            raise SpecError(problems)
        layers: list[tuple[str, dict[str, Any], Lines]] = []
        found = len(problems)
        self._bases(file_id, data, lines, deps, layers, problems, [file_id])
        if len(problems) > found:
            raise SpecError(problems)  # merging without the bases would only add cascades
        traits = data.get("traits")
        if traits is None:
            for _, layer, _ in reversed(layers):
                if isinstance(layer.get("traits"), list):
                    traits = layer["traits"]
                    break
        for i, name in enumerate(traits if isinstance(traits, list) else []):
            if not isinstance(name, str):
                continue
            deps.append(f"t:{name}")
            trait_id = self.inventory.traits.get(name)
            if trait_id is None:
                deps.append(ALL_TRAITS)  # the message suggests one of the names there are
                known = sorted(self.inventory.traits)
                problems.append(
                    Problem(
                        file_id,
                        lines.get(("traits", i), lines.get(("traits",))),
                        "traits",
                        f"unknown trait '{name}'{hint(name, known)}; traits live in "
                        f"{', '.join(self.config.rel(t) + '/' for t in self.config.traits)}",
                    )
                )
                continue
            tdata, tlines, tproblems = self.parse(trait_id)
            problems.extend(tproblems)
            if isinstance(tdata, dict):
                for key in _META:
                    if key in tdata:
                        problems.append(
                            Problem(
                                trait_id, tlines.get((key,)), key, f"a trait cannot use '{key}'"
                            )
                        )
                layers.append((trait_id, tdata, tlines))
        layers.append((file_id, data, lines))
        merged: dict[str, Any] = {}
        where: dict[str, Origin] = {}
        placements: list[Placement] = []
        verbatim = False
        for source, layer, layer_lines in layers:
            if layer.get("render") is False:
                layer, verbatim = mark_literal(layer), True
            _merge_layer(merged, where, source, layer, layer_lines, placements)
        if isinstance(merged.get("sections"), list):
            _place_sections(merged["sections"], placements, problems)
        merged.pop("extends", None)
        merged.pop("traits", None)
        merged.pop("render", None)  # it was each file's own (above), not the merged spec's
        literal = take_literal(merged) if verbatim else frozenset()
        check_merged(
            merged, lambda key: where.get(key, (file_id, None)), problems, self.config.targets
        )
        self._check_with(merged, where, file_id, problems)
        if any(p.severity == "error" for p in problems):
            # the merged spec's checks read template names and built-in templates' keys
            self.reached = [*deps, ALL_TEMPLATES]
            raise SpecError(problems)
        files = merged.get("files", [])
        for entry in files if isinstance(files, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("src"), str):
                deps.append(f"s:{entry['_src']}")
        return Spec(
            file=file_id,
            kind=merged["kind"],
            name=merged["name"],
            data=merged,
            sections=merged.get("sections", []),
            files=files,
            deps=deps,
            where=where,
            warnings=tuple(problems),
            literal=literal,
        )

    def _check_with(
        self,
        merged: dict[str, Any],
        where: dict[str, Origin],
        file_id: str,
        problems: list[Problem],
    ) -> None:
        """Check each section's `with:` against the keys its built-in template declares."""
        from skillforge.engine.load.template_keys import declared_keys, with_problems
        from skillforge.state.inventory import BUILTIN

        sections = merged.get("sections")
        for section in sections if isinstance(sections, list) else []:
            if not isinstance(section, dict) or not isinstance(section.get("template"), str):
                continue
            template = section["template"]
            found = self.inventory.templates.get(template)
            given = section.get("with", {})
            if found is None or not found.startswith(BUILTIN) or not isinstance(given, dict):
                continue  # a project template (or an override) declares its own keys
            if found not in self._with_keys:
                self._with_keys[found] = declared_keys(self.inventory.path(found))
            declared = self._with_keys[found]
            if declared is not None:
                sid = section.get("id")
                at = where.get(f"sections.{sid}.with") or where.get(
                    f"sections.{sid}", (file_id, None)
                )
                problems.extend(with_problems(template, declared, given, at))

    def _bases(
        self,
        file_id: str,
        data: dict[str, Any],
        lines: Lines,
        deps: list[str],
        layers: list[tuple[str, dict[str, Any], Lines]],
        problems: list[Problem],
        chain: list[str],
    ) -> None:
        extends = data.get("extends")
        if not isinstance(extends, str):
            return
        line = lines.get(("extends",))
        base = os.path.normpath(os.path.join(os.path.dirname(file_id), extends)).replace(
            os.sep, "/"
        )
        if os.path.isabs(extends) or base.startswith("../") or base == "..":
            problems.append(
                Problem(file_id, line, "extends", f"'{extends}' points outside the project")
            )
            return
        if base in chain:
            # named from its first file: every spec on the cycle reports one problem (once)
            ring = chain[chain.index(base) :]
            first = ring.index(min(ring))
            ring = ring[first:] + ring[:first]
            closing = ring[-1]
            at = (
                lines.get(("extends",))
                if closing == file_id
                else self.parse(closing)[1].get(("extends",))
            )
            cycle = " -> ".join([*ring, ring[0]])
            problems.append(Problem(closing, at, "extends", f"extends cycle: {cycle}"))
            return
        if not os.path.isfile(self.inventory.path(base)):
            deps.append(ABSENT + base)
            problems.append(
                Problem(file_id, line, "extends", f"base spec '{extends}' not found ({base})")
            )
            return
        real, root = (
            os.path.realpath(self.inventory.path(base)),
            os.path.realpath(self.inventory.root),
        )
        if not real.startswith(root.rstrip(os.sep) + os.sep):  # refused like spec files (D25)
            deps.append(f"f:{base}")
            problems.append(
                Problem(
                    file_id,
                    line,
                    "extends",
                    f"base spec '{extends}' is a symbolic link to outside the project; inputs "
                    "must live in the project (copy the file in)",
                )
            )
            return
        deps.append(f"f:{base}")
        bdata, blines, bproblems = self.parse(base)
        problems.extend(bproblems)
        if not isinstance(bdata, dict):
            return
        self._bases(base, bdata, blines, deps, layers, problems, [*chain, base])
        layers.append((base, bdata, blines))


def _merge_layer(
    merged: dict[str, Any],
    where: dict[str, Origin],
    source: str,
    layer: dict[str, Any],
    lines: Lines,
    placements: list[Placement],
) -> None:
    for key, value in layer.items():
        where[key] = (source, lines.get((key,)))
        if key == "sections" and isinstance(value, list):
            current = merged.setdefault("sections", [])
            _merge_sections(current, value, source, lines, where, placements)
        elif key == "files" and isinstance(value, list):
            folder = os.path.dirname(source)
            for i in range(len(value)):
                where[f"files[{i}]"] = (source, lines.get(("files", i), lines.get((key,))))
            merged[key] = [
                {**e, "_src": os.path.normpath(os.path.join(folder, e["src"])).replace(os.sep, "/")}
                if isinstance(e, dict) and isinstance(e.get("src"), str)
                else e
                for e in value
            ]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


Placement = tuple[str, str, str, Origin]  # (section id, "before"|"after", anchor id, origin)


def _merge_sections(
    current: list[dict[str, Any]],
    incoming: list[Any],
    source: str,
    lines: Lines,
    where: dict[str, Origin],
    placements: list[Placement],
) -> None:
    """Merge sections by id: same id replaces in place, new ids are appended.

    `before:`/`after:` requests are collected and applied once every layer is merged, so a
    trait can place its section next to one that only the spec itself defines.
    """
    for i, section in enumerate(incoming):
        if not isinstance(section, dict) or not isinstance(section.get("id"), str):
            continue
        sid = section["id"]
        line = lines.get(("sections", i))
        where[f"sections.{sid}"] = (source, line)
        for key in section:
            where[f"sections.{sid}.{key}"] = (source, lines.get(("sections", i, key), line))
        new = {k: v for k, v in section.items() if k not in ("before", "after")}
        ids = [s["id"] for s in current]
        if sid in ids:
            current[ids.index(sid)] = new
        else:
            current.append(new)
        for key in ("before", "after"):
            anchor = section.get(key)
            if isinstance(anchor, str):
                origin = (source, lines.get(("sections", i, key), line))
                placements.append((sid, key, anchor, origin))


def _place_sections(
    sections: list[dict[str, Any]], placements: list[Placement], problems: list[Problem]
) -> None:
    for sid, key, anchor, (file, line) in placements:
        ids = [s["id"] for s in sections]
        if anchor not in ids or anchor == sid:
            others = [i for i in ids if i != sid]
            problems.append(
                Problem(
                    file,
                    line,
                    f"sections.{sid}.{key}",
                    f"no section '{anchor}' to place '{sid}' {key}{hint(anchor, others)}",
                )
            )
            continue
        moving = sections.pop(ids.index(sid))
        at = [s["id"] for s in sections].index(anchor)
        sections.insert(at if key == "before" else at + 1, moving)
