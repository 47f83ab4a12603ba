"""Jinja in the string fields of a spec (DESIGN §3).

Every string of the merged spec that goes into an output (`description`, `when_to_use`,
frontmatter values, a section's `title` and `with:` values, supporting-file paths) is
rendered with the spec's context when it contains Jinja syntax, through its own cache entry
keyed like a section: the source, the closure of what it pulls in, and only the context
fields it can reach. A string without `{{`, `{%` or `{#` costs one substring test.

The strings a `render: false` file set are left as written (`literal.py`).
"""

from __future__ import annotations

import os

from skillforge import __version__
from skillforge.cache.keys import STRING
from skillforge.engine.jinja.template_errors import foreign_message, readable
from skillforge.engine.load.literal import NOT_TEXT, Path, has_jinja
from skillforge.errors import Problem, SpecError, hint
from skillforge.state.digest import digest_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.jinja.analysis import Closure
    from skillforge.engine.jinja.context import RenderContext
    from skillforge.engine.load.spec import Spec

_SECTION_TEXT = ("title", "with")
_FILE_TEXT = ("src", "dest")


class Site:
    """One string of a spec that holds Jinja: where it is and what it says."""

    __slots__ = ("field", "path", "section", "source")

    def __init__(self, path: Path, field: str, source: str, section: bool) -> None:
        self.path = path
        self.field = field  # as errors name it: description, sections.x.title, files[0].dest
        self.source = source
        self.section = section  # set by a section (its `render: false` turns it off)


def find_sites(data: dict[str, Any], literal: frozenset[Path]) -> list[Site]:
    """Every string of a merged spec that goes into an output and holds Jinja syntax."""
    sites: list[Site] = []
    path: list[str | int] = []

    def walk(value: Any, label: str, section: bool = False) -> None:
        # the path and the label of a string are built only when it holds Jinja (most don't);
        # a plain string in a map or a list costs its test here, not a call
        if isinstance(value, str):
            if "{" in value and has_jinja(value) and tuple(path) not in literal:
                sites.append(Site(tuple(path), _label(label, path), value, section))
        elif isinstance(value, dict):
            if _no_brace(value.values()):
                return
            for k, v in value.items():
                if type(v) is str and "{" not in v:
                    continue
                if isinstance(k, str) and not isinstance(v, int | float | bool | None):
                    path.append(k)
                    walk(v, label, section)
                    path.pop()
        elif isinstance(value, list):
            if _no_brace(value):
                return
            for i, v in enumerate(value):
                if type(v) is str and "{" not in v:
                    continue
                path.append(i)
                walk(v, label, section)
                path.pop()

    for key, value in data.items():
        if key in NOT_TEXT or key.startswith("_"):
            continue
        if key == "sections" and isinstance(value, list):
            for i, section in enumerate(value):
                if isinstance(section, dict) and section.get("render", True) is not False:
                    for k in _SECTION_TEXT:
                        text = section.get(k)
                        if text is None or (type(text) is str and "{" not in text):
                            continue  # (what walk would pass over, without its label)
                        path[:] = ["sections", i, k]
                        walk(text, f"sections.{section.get('id')}.{k}", True)
        elif key == "files" and isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    for k in _FILE_TEXT:
                        if k in entry:
                            path[:] = ["files", i, k]
                            walk(entry[k], f"files[{i}].{k}")
        elif not (type(value) is str and "{" not in value):
            path[:] = [key]
            walk(value, key)
    return sites


def _no_brace(values: Any) -> bool:
    """Whether `values` are all strings and none holds a `{` (one join, no loop)."""
    try:
        return "{" not in "".join(values)
    except TypeError:  # not all strings: looked at one by one
        return False


def _label(head: str, path: list[str | int]) -> str:
    """Name a string as errors do: `metadata.owner`, `allowed-tools[1]`, `files[0].dest`."""
    start = 3 if path[0] in ("sections", "files") else 1
    return head + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[start:])


def render_strings(
    renderer: RenderContext, spec: Spec, variables: dict[str, Any]
) -> tuple[Spec, list[str]]:
    """Return the spec with its Jinja strings rendered, and the cache key of each string.

    A string that reads another field (`{{ spec.when_to_use }}` in `description`) sees it
    rendered: fields are rendered in the order their strings read each other.
    """
    sites = find_sites(spec.data, spec.literal)
    if not sites:
        return spec, []
    import jinja2

    problems: list[Problem] = []
    closures: dict[int, Closure] = {}
    for site in sites:
        label = f"{spec.file}#{site.field}"
        try:
            closure = renderer.library.closure_of_source(site.source, label)
        except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound) as exc:
            problems.append(_problem(exc, spec, site))
            continue
        if closure.missing:
            file, line = _origin(spec, site)
            known = renderer.inventory.templates
            problems.append(
                Problem(
                    file,
                    line,
                    site.field,
                    f"template '{closure.missing[0]}' not found{_hint(closure.missing[0], known)}",
                )
            )
            continue
        closures[id(site)] = closure
    if problems:
        raise SpecError(problems)
    order = _order(spec, sites, {i: c.reach.get("spec", ()) for i, c in closures.items()})
    data = dict(spec.data)
    tops = {str(s.path[0]) for s in sites}
    for top in tops:
        data[top] = _copy(data[top])
    keys: list[str] = []
    deps = list(spec.deps)
    context = {"spec": data, "vars": variables, "project": renderer.config.vars}
    for site in order:
        closure = closures[id(site)]
        deps.extend(closure.deps())
        key = digest_value(
            __version__,
            renderer.fingerprint,
            "string",
            closure.digest,
            renderer.reach(closure, data, variables),
        )
        keys.append(key)
        cached = renderer.store.get(STRING + key)
        if isinstance(cached, str):
            renderer.counters.strings_cached += 1
            text = cached
        else:
            label = f"{spec.file}#{site.field}"
            try:
                text = renderer.limits.render(renderer.inline(site.source, label), context)
            except Exception as exc:
                problems.append(_problem(exc, spec, site))
                continue
            if site.source.endswith("\n") and not text.endswith("\n"):
                text += "\n"  # Jinja drops a block scalar's last newline; the field keeps it
            renderer.counters.strings_rendered += 1
            renderer.store.set(STRING + key, text)
        _put(data, site.path, text)
    if problems:
        raise SpecError(problems)
    if "files" in tops and isinstance(data["files"], list):
        _resolve_sources(spec, data["files"], deps)
    return (
        spec.replace(
            data=data,
            sections=data.get("sections", spec.sections),
            files=data.get("files", spec.files),
            deps=deps,
        ),
        keys,
    )


def _order(spec: Spec, sites: list[Site], reach: dict[int, Any]) -> list[Site]:
    """The sites, grouped by top-level field, each field after the fields it reads."""
    groups: dict[str | int, list[Site]] = {}
    for site in sites:
        groups.setdefault(site.path[0], []).append(site)
    needs: dict[str | int, set[str | int]] = {}
    for top, members in groups.items():
        wanted: set[str | int] = set()
        for site in members:
            fields = reach.get(id(site), ())
            wanted |= set(groups) if fields is None else set(fields) & set(groups)
        wanted.discard(top)
        needs[top] = wanted
    ordered: list[Site] = []
    done: set[str | int] = set()
    while len(done) < len(groups):
        ready = [t for t in groups if t not in done and needs[t] <= done]
        if not ready:
            stuck = sorted(str(t) for t in groups if t not in done)
            file, line = spec.origin(stuck[0])
            raise SpecError.one(
                file,
                line,
                stuck[0],
                f"the Jinja in {' and '.join(stuck)} read each other, so neither can be "
                "rendered first; read `vars` in both instead",
            )
        for top in ready:
            ordered.extend(groups[top])
            done.add(top)
    return ordered


def _copy(value: Any) -> Any:
    """Copy the containers of a field (its strings are shared): the spec may be cached."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _put(data: dict[str, Any], path: Path, value: str) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _resolve_sources(spec: Spec, files: list[Any], deps: list[str]) -> None:
    """Point rendered `src` paths at their files again (relative to the file that set them)."""
    for i, entry in enumerate(files):
        if not isinstance(entry, dict) or not isinstance(entry.get("src"), str):
            continue
        old = entry.get("_src")
        folder = os.path.dirname(spec.origin(f"files[{i}]")[0])
        new = os.path.normpath(os.path.join(folder, entry["src"])).replace(os.sep, "/")
        if new != old:
            entry["_src"] = new
            deps[:] = [f"s:{new}" if d == f"s:{old}" else d for d in deps]


def _origin(spec: Spec, site: Site) -> tuple[str, int | None]:
    if site.section:
        return spec.origin(".".join(site.field.split(".")[:3]))
    if site.path[0] == "files":
        return spec.origin(f"files[{site.path[1]}]")
    return spec.origin(str(site.path[0]))


def _hint(name: str, known: Any) -> str:
    return hint(name, list(known))


# -- errors -------------------------------------------------------------------------------


def _problem(exc: BaseException, spec: Spec, site: Site) -> Problem:
    """Say what went wrong in a string field's Jinja, at the line that set the field."""
    import jinja2

    from skillforge.engine.jinja.limits import RenderLimitError

    file, line = _origin(spec, site)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        message = f"template syntax error: {exc.message}"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined value: {readable(str(exc.message))}"
        message += "; use `is defined` or `|default(...)` for optional values"
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"template not found: {exc.message}"
    elif isinstance(exc, RenderLimitError):
        message = f"template stopped: {exc}"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"template refused by the sandbox: {exc}"
    else:
        message = f"template error: {exc.__class__.__name__}: {exc}"
    top = "on the section" if site.section else f"at the top of {file}"
    foreign = foreign_message(exc, site.source, f"set `render: false` {top}")
    message = f"foreign template syntax: {foreign}" if foreign else message
    return Problem(file, line, site.field, message)
