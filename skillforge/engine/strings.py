"""Jinja in the string fields of a spec, and other tools' template syntax (DESIGN §3).

Every string of the merged spec that goes into an output (`description`, `when_to_use`,
frontmatter values, a section's `title` and `with:` values, supporting-file paths) is
rendered with the spec's context when it contains Jinja syntax, through its own cache entry
keyed like a section: the source, the closure of what it pulls in, and only the context
fields it can reach. A string without `{{`, `{%` or `{#` costs one substring test.

`render: false` at the top of a spec, base or trait keeps everything that file sets
literal: `mark_literal` tags its strings before the merge (so a deep merge keeps each
value's origin) and `take_literal` collects the tagged paths after it.

This module imports no Jinja2 at load time: the spec loader imports it for `Verbatim`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

from skillforge import __version__
from skillforge.errors import Problem, SpecError
from skillforge.state.digest import digest_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.engine.render import Renderer
    from skillforge.engine.spec import Spec
    from skillforge.engine.templating import Closure

Path = tuple[str | int, ...]
# Top-level fields whose strings are no output text, or are rendered elsewhere (`sections`
# bodies are sections; `vars` are the context itself).
_NOT_TEXT = frozenset({"kind", "name", "folder", "file", "vars", "render", "extends", "traits"})
_SECTION_TEXT = ("title", "with")
_FILE_TEXT = ("src", "dest")


def has_jinja(text: str) -> bool:
    """True when `text` holds Jinja syntax (`{{`, `{%` or `{#`)."""
    return "{" in text and ("{{" in text or "{%" in text or "{#" in text)


# -- render: false at the top of a file -----------------------------------------------------


class Verbatim(str):
    """A string set by a file with `render: false`: written as it is, never rendered."""

    __slots__ = ()


def mark_literal(layer: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a `render: false` layer whose text is tagged `Verbatim`."""
    out: dict[str, Any] = {}
    for key, value in layer.items():
        if key == "sections" and isinstance(value, list):
            # a section keeps its origin whole (sections replace by id), so its own flag says it
            out[key] = [
                {**s, "render": False} if isinstance(s, dict) and "render" not in s else s
                for s in value
            ]
        elif key in _NOT_TEXT:
            out[key] = value
        else:
            out[key] = _tag(value)
    return out


def _tag(value: Any) -> Any:
    if isinstance(value, str):
        return Verbatim(value)
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    return value


def take_literal(merged: dict[str, Any]) -> frozenset[Path]:
    """Replace the `Verbatim` strings of a merged spec by plain ones; return their paths."""
    found: set[Path] = set()

    def untag(value: Any, path: Path) -> Any:
        if isinstance(value, Verbatim):
            found.add(path)
            return str.__str__(value)
        if isinstance(value, dict):
            return {k: untag(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [untag(v, (*path, i)) for i, v in enumerate(value)]
        return value

    for key in list(merged):
        if key not in _NOT_TEXT and key != "sections":
            merged[key] = untag(merged[key], (key,))
    return frozenset(found)


# -- finding and rendering the strings ------------------------------------------------------


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
        # the path and the label of a string are built only when it holds Jinja (most don't)
        if isinstance(value, str):
            if "{" in value and has_jinja(value) and tuple(path) not in literal:
                sites.append(Site(tuple(path), _label(label, path), value, section))
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and not isinstance(v, int | float | bool | None):
                    path.append(k)
                    walk(v, label, section)
                    path.pop()
        elif isinstance(value, list):
            for i, v in enumerate(value):
                path.append(i)
                walk(v, label, section)
                path.pop()

    for key, value in data.items():
        if key in _NOT_TEXT or key.startswith("_"):
            continue
        if key == "sections" and isinstance(value, list):
            for i, section in enumerate(value):
                if isinstance(section, dict) and section.get("render", True) is not False:
                    for k in _SECTION_TEXT:
                        if k in section:
                            path[:] = ["sections", i, k]
                            walk(section[k], f"sections.{section.get('id')}.{k}", True)
        elif key == "files" and isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    for k in _FILE_TEXT:
                        if k in entry:
                            path[:] = ["files", i, k]
                            walk(entry[k], f"files[{i}].{k}")
        else:
            path[:] = [key]
            walk(value, key)
    return sites


def _label(head: str, path: list[str | int]) -> str:
    """Name a string as errors do: `metadata.owner`, `allowed-tools[1]`, `files[0].dest`."""
    start = 3 if path[0] in ("sections", "files") else 1
    return head + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[start:])


def render_strings(
    renderer: Renderer, spec: Spec, variables: dict[str, Any]
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
            renderer._reach(closure, data, variables),
        )
        keys.append(key)
        cached = renderer.store.get("str:" + key)
        if isinstance(cached, str):
            renderer.counters.strings_cached += 1
            text = cached
        else:
            label = f"{spec.file}#{site.field}"
            try:
                text = renderer.limits.render(renderer._inline(site.source, label), context)
            except Exception as exc:
                problems.append(_problem(exc, spec, site))
                continue
            if site.source.endswith("\n") and not text.endswith("\n"):
                text += "\n"  # Jinja drops a block scalar's last newline; the field keeps it
            renderer.counters.strings_rendered += 1
            renderer.store.set("str:" + key, text)
        _put(data, site.path, text)
    if problems:
        raise SpecError(problems)
    if "files" in tops and isinstance(data["files"], list):
        _resolve_sources(spec, data["files"], deps)
    return (
        replace(
            spec,
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
    from skillforge.engine.rules import hint

    return hint(name, list(known))


# -- errors -------------------------------------------------------------------------------


def _problem(exc: BaseException, spec: Spec, site: Site) -> Problem:
    """Say what went wrong in a string field's Jinja, at the line that set the field."""
    import jinja2

    from skillforge.engine.limits import RenderLimitError

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


def readable(message: str) -> str:
    """Say "no key 'x'" instead of Jinja's "'dict object' has no attribute 'x'"."""
    prefix = "'dict object' has no attribute "
    if message.startswith(prefix):
        return f"no key {message[len(prefix) :]}"
    return message


# Other tools' template syntax that Jinja misreads, and what to call it.
_FOREIGN = (
    (re.compile(r"\$\{\{[^\n]*?\}\}"), "GitHub Actions expression syntax"),
    (re.compile(r"\$\{#[^\n}]*\}?"), "shell parameter expansion (`{#` starts a Jinja comment)"),
    (re.compile(r"\{\{\s*[#/>^!][^\n]*?\}\}"), "Handlebars/Mustache syntax"),
    (
        re.compile(
            r"\{\{-?\s*(?:\.[A-Za-z_]|\$[A-Za-z_]|\.\s*\}\}|"
            r"(?:range|end|define|template|include|toYaml|printf)\b)[^\n]*?\}\}"
        ),
        "Go template (Helm) syntax",
    ),
)
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined|has no attribute '([^']+)'")


def foreign_message(exc: BaseException, source: str | None, remedy: str | None) -> str | None:
    """Name the other tool's syntax that caused a Jinja error, or None when it is not that.

    A syntax error counts when the foreign text is on the line Jinja stopped at; an undefined
    value when the foreign text holds the undefined name (`secrets` of `${{ secrets.X }}`).
    """
    if not source:
        return None
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        line: int | None = exc.lineno
        name = None
    elif isinstance(exc, jinja2.UndefinedError):
        found = _UNDEFINED_NAME.search(str(exc.message))
        if found is None:
            return None
        line, name = None, found.group(1) or found.group(2)
    else:
        return None
    for pattern, what in _FOREIGN:
        for match in pattern.finditer(source):
            text = match.group(0)
            if line is not None and source.count("\n", 0, match.start()) + 1 != line:
                continue
            if name is not None and not re.search(rf"\b{re.escape(name)}\b", text):
                continue
            shown = text if len(text) <= 60 else text[:57] + "..."
            keep = f" or {remedy}" if remedy else ""
            return (
                f"`{shown}` looks like {what}, not Jinja; to keep it as written, wrap it in "
                f"`{{% raw %}}...{{% endraw %}}`{keep}"
            )
    return None
