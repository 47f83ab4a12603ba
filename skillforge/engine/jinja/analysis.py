"""What a template can reach: its AST read once per source digest, and closures of templates.

Analysis finds which templates a source pulls in (extends, include, import, `fragment("x")`)
and which top-level fields of `spec`, `vars` and `project` it can reach. Section cache keys
are built from a closure, so they cover only what a section can see.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from skillforge import __version__
from skillforge.cache.keys import ANALYSIS
from skillforge.cache.local import Store
from skillforge.engine.jinja.substitute import reach as plain_reach
from skillforge.engine.jinja.templating import template_source
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.inventory import Inventory
from skillforge.state.plain import Plain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import jinja2

# `target` (DESIGN §4): a section that reads it is rendered once per target of the build
ROOTS = ("spec", "vars", "project", "target")
# Bump when `analyse` changes what it finds: cached analyses are keyed with it.
ANALYSIS_REVISION = 4
# Analyses a long-lived Library keeps in memory before it starts over (`skillforge watch`).
MAX_ANALYSES = 256


def fragment_template(name: str) -> str:
    """Return the template name of the fragment called `name`."""
    return f"fragments/{name}.md.j2"


class Analysis(Plain):
    """What one template source references: other templates and context fields."""

    def __init__(
        self, deps: tuple[str, ...], dynamic: bool, reach: dict[str, tuple[str, ...] | None]
    ) -> None:
        self.deps = deps
        self.dynamic = dynamic
        self.reach = reach

    def to_json(self) -> list[Any]:
        return [list(self.deps), self.dynamic, {k: v and list(v) for k, v in self.reach.items()}]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Analysis:
        reach = {k: None if v is None else tuple(v) for k, v in raw[2].items()}
        return cls(tuple(raw[0]), bool(raw[1]), reach)


def analyse(env: jinja2.Environment, source: str, name: str | None = None) -> Analysis:
    """Parse `source` and find the templates and context fields it references."""
    from jinja2 import nodes

    tree = env.parse(source, name=name)
    keep = getattr(env, "keep_tree", None)
    if keep is not None:
        keep(source, tree)  # the compile that follows a miss reuses it
    deps: list[str] = []
    dynamic = False
    reach: dict[str, set[str] | None] = {}

    def template_ref(node: nodes.Expr) -> None:
        nonlocal dynamic
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            deps.append(node.value)
        elif isinstance(node, (nodes.List, nodes.Tuple)):
            for item in node.items:
                template_ref(item)
        else:
            dynamic = True

    def visit(node: nodes.Node, parent: nodes.Node | None) -> None:
        nonlocal dynamic
        if isinstance(node, (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            template_ref(node.template)
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if node.node.name == "fragment":
                first = node.args[0] if node.args else None
                if isinstance(first, nodes.Const) and isinstance(first.value, str):
                    deps.append(fragment_template(first.value))
                else:
                    dynamic = True
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name == "fragment":
            if not (isinstance(parent, nodes.Call) and parent.node is node):
                # `{% set f = fragment %}`, `[fragment]|first`: called under another name,
                # with a name this analysis cannot see, so it may be any fragment
                dynamic = True
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name in ROOTS:
            fields = reach.setdefault(node.name, set())
            attr: str | None = None
            if isinstance(parent, nodes.Getattr) and parent.node is node:
                attr = parent.attr
            elif (
                isinstance(parent, nodes.Getitem)
                and parent.node is node
                and isinstance(parent.arg, nodes.Const)
                and isinstance(parent.arg.value, str)
            ):
                attr = parent.arg.value
            if attr is None or hasattr(dict, attr):
                # `spec.get("x")`, `vars.items()`: a dict method can read any key
                reach[node.name] = None
            elif fields is not None:
                fields.add(attr)
        for child in node.iter_child_nodes():
            visit(child, node)

    visit(tree, None)
    return Analysis(
        tuple(dict.fromkeys(deps)),
        dynamic,
        {k: None if v is None else tuple(sorted(v)) for k, v in sorted(reach.items())},
    )


class Library:
    """Template sources, digests, analyses and closures for one build."""

    def __init__(
        self,
        env: Callable[[], jinja2.Environment],
        inventory: Inventory,
        store: Store,
        max_bytes: int = 2**20,
    ) -> None:
        self._env = env  # made when a template is first parsed (see RenderContext.env)
        self.max_bytes = max_bytes
        self.inventory = inventory
        self.store = store
        self._digests: dict[str, str | None] = {}
        self._analyses: dict[str, Analysis] = {}
        self._closures: dict[str, Closure] = {}
        # an inline source's closure (the label only names it in the errors of its parse,
        # and a source that failed to parse is not kept)
        self._inline: dict[str, Closure] = {}

    def digest(self, name: str) -> str | None:
        """Digest of a template's source, None when there is no such template."""
        if name not in self._digests:
            file_id = self.inventory.templates.get(name)
            value = None
            if file_id is not None:
                try:
                    with open(self.inventory.path(file_id), "rb") as f:
                        if os.fstat(f.fileno()).st_size <= self.max_bytes:
                            value = digest_bytes(f.read())
                except OSError:
                    value = None  # the loader says why (`closure` asks it)
            self._digests[name] = value
        return self._digests[name]

    def file_digests(self) -> dict[str, str]:
        """Digests of the template files read in this build, by file id."""
        found: dict[str, str] = {}
        for name, value in self._digests.items():
            file_id = self.inventory.templates.get(name)
            if file_id and value:
                found[file_id] = value
        return found

    def analysis_of_source(self, source: str, name: str | None) -> Analysis:
        """Analyse a template source, through the cache."""
        key = ANALYSIS + digest_value(__version__, ANALYSIS_REVISION, source)
        if key in self._analyses:
            return self._analyses[key]
        plain = plain_reach(source, ROOTS)  # a plain substitution: no parse, no cache read
        result = None if plain is None else Analysis((), False, dict(plain))
        if result is None:
            raw = self.store.get(key)
            if raw is not None:
                result = Analysis.from_json(raw)
            else:
                result = analyse(self._env(), source, name)
                self.store.set(key, result.to_json())
        self._analyses[key] = result
        return result

    def forget(self, names: set[str]) -> None:
        """Forget templates that changed; closures may include them, so all closures go.

        Analyses are keyed by source, so they stay valid; only their number is bounded (each
        edit of an inline body adds one).
        """
        for name in names:
            self._digests.pop(name, None)
        if names:
            self._closures.clear()
            self._inline.clear()
        if len(self._analyses) > MAX_ANALYSES:
            self._analyses.clear()

    def analysis(self, name: str) -> Analysis:
        source = template_source(self.inventory, name, self.max_bytes)
        if source is None:  # not there, or not readable: the loader raises, saying why
            env = self._env()
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        return self.analysis_of_source(source, name)

    def closure(self, name: str) -> Closure:
        """The transitive closure of a template: names, digest, reach."""
        if name not in self._closures:
            self._closures[name] = self._close([name], None)
        return self._closures[name]

    def closure_of_source(self, source: str, label: str) -> Closure:
        """The closure of an inline template (a section body)."""
        found = self._inline.get(source)
        if found is None:
            found = self._close([], (source, label))
            if len(self._inline) >= MAX_ANALYSES:
                self._inline.clear()
            self._inline[source] = found
        return found

    def _close(self, names: list[str], inline: tuple[str, str] | None) -> Closure:
        """Follow references breadth-first; merge what every template reached can see."""
        seen: dict[str, str | None] = {}
        dynamic = False
        reach: dict[str, set[str] | None] = {}
        pending = [self.analysis_of_source(*inline)] if inline is not None else []
        queue = list(names)
        while queue or pending:
            for analysis in pending:
                dynamic = dynamic or analysis.dynamic
                queue.extend(analysis.deps)
                for root, fields in analysis.reach.items():
                    current = reach.get(root, set())
                    reach[root] = (
                        None if fields is None or current is None else current | set(fields)
                    )
            pending = []
            while queue:
                name = queue.pop()
                if name not in seen:
                    seen[name] = self.digest(name)
                    if seen[name] is not None or name in self.inventory.templates:
                        # one there but unreadable raises here, saying why (not "not found")
                        pending.append(self.analysis(name))
        parts: list[Any] = sorted(seen.items())
        if inline is not None:
            parts.append(digest_value(inline[0]))
        if dynamic:
            # a template chosen at render time may be any template and may read anything
            parts.append(sorted((n, self.digest(n)) for n in self.inventory.templates))
            reach = dict.fromkeys(ROOTS)
        return Closure(
            names=tuple(sorted(seen)),
            digest=digest_value(parts),
            dynamic=dynamic,
            reach={k: None if v is None else tuple(sorted(v)) for k, v in reach.items()},
            missing=tuple(sorted(n for n, d in seen.items() if d is None)),
        )


class Closure(Plain):
    """A template and everything it pulls in, as one digest plus what it can reach."""

    def __init__(
        self,
        names: tuple[str, ...],
        digest: str,
        dynamic: bool,
        reach: dict[str, tuple[str, ...] | None],
        missing: tuple[str, ...],
    ) -> None:
        self.names = names
        self.digest = digest
        self.dynamic = dynamic
        self.reach = reach
        self.missing = missing

    def deps(self) -> tuple[str, ...]:
        """Manifest dependency ids of this closure (made once: a closure serves many)."""
        found: tuple[str, ...] | None = getattr(self, "_deps", None)
        if found is None:
            found = self._deps = (
                *(f"T:{name}" for name in self.names),
                *(("T:*",) if self.dynamic else ()),
            )
        return found
