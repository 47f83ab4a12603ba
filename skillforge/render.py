"""Render a merged spec into its output files, section by section, through the caches.

A section is the unit of caching: its key covers the closure of its template, its own data
and only the context fields the closure can reach (DESIGN §5). Nothing here writes files.
"""

from __future__ import annotations

import marshal
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from skillforge import __version__
from skillforge.cache import Store
from skillforge.config import Config
from skillforge.cost import LISTING_ENTRY_CHARS, OutputCost, listing_entry, one_line
from skillforge.discover import Inventory
from skillforge.errors import Problem, SpecError
from skillforge.fingerprint import digest_bytes, digest_value, settle
from skillforge.frontmatter import emit
from skillforge.limits import RenderLimitError, RenderLimits
from skillforge.marker import add_marker
from skillforge.rules import Ref, hint, output_name, references
from skillforge.spec import Spec
from skillforge.strings import foreign_message, render_strings
from skillforge.templating import (
    Closure,
    Counters,
    Library,
    TemplateUnreadable,
    env_fingerprint,
    fragment_template,
    inside,
    make_environment,
)
from skillforge.tokens import TokenCounter

MISSING = "\x00missing"
_JINJA_SYNTAX = ("{{", "{%", "{#")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_OUTPUT_FIELD = {"skill": "folder", "agent": "file"}
# The name inline code is compiled under: the code is shared by every spec with the same
# source, so an error in it is given the label of the render that failed (`_problem`).
INLINE = "inline:"
TOO_DEEP = (
    "nested too deeply (RecursionError): expressions, blocks, macro calls or an extends chain "
    "go deeper than Python's recursion limit; flatten it"
)


@dataclass
class RenderedOutput:
    """One file of a spec's outputs, in memory."""

    path: str
    data: bytes
    document: bool


@dataclass
class RenderedSpec:
    """Everything a spec produced, and what it depended on."""

    spec: str
    outputs: list[RenderedOutput]
    document_key: str
    sections: list[tuple[str, str]]
    frontmatter: str
    deps: list[str]
    digests: dict[str, str] = field(default_factory=dict)
    name_origin: tuple[str, int | None] = ("", None)
    cost: OutputCost | None = None
    warnings: tuple[Problem, ...] = ()
    refs: tuple[Ref, ...] = ()  # names of other specs it refers to (rules.references)
    # what `build --explain` adds: fragment calls that could not be cached, and why
    notes: list[str] = field(default_factory=list)


def output_paths(config: Config, kind: str, name: str) -> tuple[Path, Path]:
    """Return (document path, folder for supporting files) of a spec's outputs."""
    if kind == "skill":
        folder = config.out / "skills" / name
        return folder / "SKILL.md", folder
    return config.out / "agents" / f"{name}.md", config.out / "agents"


class Renderer:
    """Renders specs for one build; holds the Environment and the cache handles."""

    def __init__(self, config: Config, inventory: Inventory, store: Store) -> None:
        self.config = config
        self.inventory = inventory
        self.store = store
        self.counters = Counters()
        self.env = make_environment(inventory, store, self.counters, config.max_template_bytes)
        self.env.globals["fragment"] = self._fragment
        self.library = Library(self.env, inventory, store)
        self.fingerprint = env_fingerprint()
        self.limits = RenderLimits(config.render_timeout, config.max_render_size)
        self.tokens = TokenCounter(config.cache_dir, save=not store.read_only)
        self.env.max_size = self.limits.max_size  # type: ignore[attr-defined]
        self.notes: list[str] = []

    def forget(self, templates: set[str]) -> None:
        """Drop the compiled templates, digests and closures of templates that changed."""
        cache = self.env.cache
        if templates and cache is not None:
            for key in [k for k in cache if k[1] in templates]:
                del cache[key]
        self.library.forget(templates)

    # -- sections -------------------------------------------------------------------------

    def render_spec(self, spec: Spec) -> RenderedSpec:
        """Render one spec; raise SpecError naming the section and template on failure."""
        self.notes = []
        variables = spec.data.get("vars") or {}
        spec, string_keys = render_strings(self, spec, variables)
        data = spec.data
        problems: list[Problem] = []
        deps = list(spec.deps)
        section_keys: list[tuple[str, str]] = []
        texts: list[str] = []
        body_tokens = 0
        for section in spec.sections:
            try:
                key, text, tokens, closure = self._section(spec, section, variables)
            except SpecError as exc:
                problems.extend(exc.problems)
                continue
            if closure is not None:
                deps.extend(closure.deps())
            section_keys.append((section["id"], key))
            title = section.get("title")
            body_tokens += tokens
            if title:
                body_tokens += self.tokens.count(f"## {title}") + (1 if text else 0)
                texts.append(f"## {title}\n\n{text}" if text else f"## {title}")
            elif text:
                texts.append(text)
        if problems:
            raise SpecError(problems)
        frontmatter = emit(spec.kind, data)
        base = f"base/{spec.kind}.md.j2"
        closure = self._closure(spec, base, "kind")
        deps.extend(closure.deps())
        document_key = digest_value(
            __version__,
            self.fingerprint,
            closure.digest,
            frontmatter,
            section_keys,
            self._reach(closure, data, variables),
            *([string_keys] if string_keys else []),
        )
        started = time.perf_counter()
        try:
            document = self.limits.render(
                self.env.get_template(base),
                {"frontmatter": frontmatter, "sections": texts, "spec": data},
            )
        except Exception as exc:
            raise SpecError([self._problem(exc, spec, "kind", base)]) from None
        self.counters.timed(base, time.perf_counter() - started, document)
        path, folder = output_paths(self.config, spec.kind, output_name(spec.kind, data))
        outputs = [RenderedOutput(self.config.rel(path), _finish(document), True)]
        digests: dict[str, str] = {}
        dests: dict[str, int] = {}
        for i, entry in enumerate(spec.files):
            out = self._supporting(spec, i, entry, folder, variables, deps, digests)
            if out.path in dests:  # one dest twice: the later entry would win silently
                first = dests[out.path]
                file, line = spec.origin(f"files[{i}]")
                at = spec.origin(f"files[{first}]")[1]
                raise SpecError.one(
                    file,
                    line,
                    f"files[{i}].dest",
                    f"'{entry['dest']}' is also the dest of files[{first}]"
                    f"{f' (line {at})' if at else ''}; give each file its own dest",
                )
            dests[out.path] = i
            outputs.append(out)
        # the sections, a blank line between them, and the final newline (one token each)
        body_tokens += len(texts) if texts else 0
        cost = self._cost(spec, outputs, frontmatter, body_tokens)
        if self.config.marker:
            outputs[0].data = add_marker(outputs[0].data, spec.file)
        return RenderedSpec(
            spec.file,
            outputs,
            document_key,
            section_keys,
            frontmatter,
            deps,
            digests,
            spec.origin(_OUTPUT_FIELD[spec.kind] if _OUTPUT_FIELD[spec.kind] in data else "name"),
            cost,
            spec.warnings,
            references(spec.kind, data, spec.origin),
            list(dict.fromkeys(self.notes)),
        )

    def _cost(
        self, spec: Spec, outputs: list[RenderedOutput], frontmatter: str, body_tokens: int
    ) -> OutputCost:
        """Token estimates and sizes of a rendered spec's document (DESIGN §7)."""
        document = outputs[0].data.decode("utf-8")
        head = f"---\n{frontmatter}---\n"
        body = document[len(head) :] if document.startswith(head) else document
        description = one_line(spec.data.get("description", ""))
        when = spec.data.get("when_to_use") if spec.kind == "skill" else None
        entry = listing_entry(spec.name, description, str(when) if when else None)
        metadata = self.tokens.count(entry)
        cut = len(entry) > LISTING_ENTRY_CHARS
        files_tokens = 0
        for out in outputs[1:]:
            key = "tok:" + digest_bytes(out.data)
            known = self.store.get(key)
            if not isinstance(known, int):
                try:
                    known = self.tokens.count(out.data.decode("utf-8"))
                except UnicodeDecodeError:
                    known = 0  # a binary file is not read into the context as text
                self.store.set(key, known)
            files_tokens += known
        where_file, where_line = spec.origin("description")
        return OutputCost(
            path=outputs[0].path,
            spec=spec.file,
            kind=spec.kind,
            name=spec.name,
            metadata_tokens=metadata,
            body_tokens=body_tokens,
            files_tokens=files_tokens,
            body_lines=body.lstrip("\n").count("\n"),
            description_chars=len(description),
            description_file=where_file,
            description_line=where_line,
            name_tokens=self.tokens.count(spec.name),
            entry_chars=len(entry),
            listing_tokens=self.tokens.count(entry[:LISTING_ENTRY_CHARS]) if cut else metadata,
            cut_text=entry[LISTING_ENTRY_CHARS : LISTING_ENTRY_CHARS + 40] if cut else "",
        )

    def _section(
        self, spec: Spec, section: dict[str, Any], variables: dict[str, Any]
    ) -> tuple[str, str, int, Closure | None]:
        """Return the section's key, text, token estimate and template closure."""
        sid = section["id"]
        own = {"id": sid, "title": section.get("title"), "with": section.get("with") or {}}
        closure: Closure | None = None
        template_name = section.get("template")
        body: str = section.get("body") or ""
        if template_name is not None:
            closure = self._closure(spec, template_name, f"sections.{sid}.template")
        elif section.get("render", True) and any(m in body for m in _JINJA_SYNTAX):
            field = f"sections.{sid}.body"
            try:
                closure = self.library.closure_of_source(body, self._label(spec, sid))
            except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound, RecursionError) as exc:
                raise SpecError([self._problem(exc, spec, field, self._label(spec, sid))]) from None
            for name in closure.missing:
                raise self._missing(spec, f"sections.{sid}.body", name)
        reach = self._reach(closure, spec.data, variables) if closure else None
        key = digest_value(
            __version__,
            self.fingerprint,
            "section",
            template_name,
            closure.digest if closure else body,
            own,
            reach,
        )
        cached = self.store.get("sec:" + key)
        if isinstance(cached, list) and len(cached) == 2:  # [text, tokens]
            self.counters.sections_cached += 1
            return key, cached[0], cached[1], closure
        if closure is None:
            text = body
        else:
            label = template_name or self._label(spec, sid)
            try:
                template = (
                    self.env.get_template(template_name)
                    if template_name
                    else self._inline(body, label)
                )
                started = time.perf_counter()
                text = self.limits.render(
                    template,
                    {
                        "spec": spec.data,
                        "vars": variables,
                        "section": own,
                        "project": self.config.vars,
                    },
                )
                self.counters.timed(label, time.perf_counter() - started, text)
            except Exception as exc:
                field = f"sections.{sid}.template" if template_name else f"sections.{sid}.body"
                raise SpecError([self._problem(exc, spec, field, label)]) from None
        text = _LEADING_BLANK_LINES.sub("", text).rstrip()
        tokens = self.tokens.count(text)
        self.counters.sections_rendered += 1
        self.store.set("sec:" + key, [text, tokens])
        return key, text, tokens, closure

    def _closure(self, spec: Spec, name: str, field: str) -> Closure:
        if name not in self.inventory.templates:
            raise self._missing(spec, field, name)
        try:
            closure = self.library.closure(name)
        except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound, RecursionError) as exc:
            raise SpecError([self._problem(exc, spec, field, name)]) from None
        for missing in closure.missing:
            raise self._missing(spec, field, missing, via=name)
        return closure

    def _missing(self, spec: Spec, field: str, name: str, via: str | None = None) -> SpecError:
        file, line = spec.origin(field)
        known = list(self.inventory.templates)
        where = f" (included by {via})" if via else ""
        return SpecError.one(
            file, line, field, f"template '{name}' not found{where}{hint(name, known)}"
        )

    def _reach(self, closure: Closure, data: dict[str, Any], variables: dict[str, Any]) -> Any:
        sources = {"spec": data, "vars": variables, "project": self.config.vars}
        values: dict[str, Any] = {}
        for root, fields in closure.reach.items():
            source = sources[root]
            values[root] = source if fields is None else {f: source.get(f, MISSING) for f in fields}
        return values

    def _label(self, spec: Spec, sid: str) -> str:
        return f"{spec.file}#sections.{sid}"

    def _inline(self, source: str, label: str) -> jinja2.Template:
        """Compile an inline template through the compiled-template cache."""
        key = "il:" + digest_value(self.fingerprint, INLINE, source)
        raw = self.store.get(key)
        code = None
        if isinstance(raw, bytes):
            try:
                code = marshal.loads(raw)
            except (EOFError, ValueError, TypeError):
                code = None
        if code is None:
            name = INLINE + digest_bytes(source.encode("utf-8"))[:12]
            code = self.env.compile(source, name=name, filename=name)
            self.store.set(key, marshal.dumps(code))
            self.counters.templates_compiled += 1
        else:
            self.counters.templates_cached += 1
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None))

    # -- fragments ------------------------------------------------------------------------

    def _fragment(self, name: str, **args: Any) -> str:
        template_name = fragment_template(name)
        if template_name not in self.inventory.templates:
            known = [n[10:-6] for n in self.inventory.templates if n.startswith("fragments/")]
            raise jinja2.TemplateNotFound(f"{template_name}{hint(name, known)}")
        closure = self.library.closure(template_name)
        args, uncacheable = settle(args)
        key = ""
        if uncacheable is None:
            key = "frag:" + digest_value(__version__, self.fingerprint, closure.digest, args)
            cached = self.store.get(key)
            if isinstance(cached, list) and len(cached) == 2:  # [text, tokens]
                self.counters.fragments_cached += 1
                text: str = cached[0]
                return text
        else:
            # no canonical form, no key: rendered every time (never a guess from a repr)
            self.notes.append(f"fragment {name} not cached: {uncacheable}")
        started = time.perf_counter()
        text = self.limits.render(self.env.get_template(template_name), args)
        self.counters.timed(template_name, time.perf_counter() - started, text)
        self.counters.fragments_rendered += 1
        if key:
            self.store.set(key, [text, self.tokens.count(text)])
        return text

    # -- supporting files -----------------------------------------------------------------

    def _supporting(
        self,
        spec: Spec,
        index: int,
        entry: dict[str, Any],
        folder: Path,
        variables: dict[str, Any],
        deps: list[str],
        digests: dict[str, str],
    ) -> RenderedOutput:
        field = f"files[{index}]"
        src_id = entry["_src"]
        file, line = spec.origin(field)
        plain = Path(os.path.normpath(folder / entry["dest"]))
        if plain == folder / "SKILL.md" or folder not in plain.parents:
            raise SpecError.one(
                file,
                line,
                f"{field}.dest",
                f"'{entry['dest']}' would overwrite the generated SKILL.md or leave the skill "
                "folder; pick another destination",
            )
        if str(entry["dest"]).endswith("/"):
            raise SpecError.one(
                file,
                line,
                f"{field}.dest",
                f"'{entry['dest']}' ends with '/': a dest names a file (references/forms.md)",
            )
        dest = plain.resolve()
        if dest != folder.resolve() / plain.relative_to(folder):
            raise SpecError.one(
                file,
                line,
                f"{field}.dest",
                f"'{entry['dest']}' is a symbolic link in the skill folder (or passes through "
                "one); skillforge writes only regular files: remove the link",
            )
        dest = plain
        if not inside(self.inventory.path(src_id), self.inventory.root):
            raise SpecError.one(
                file,
                line,
                f"{field}.src",
                f"'{entry['src']}' resolves outside the project (through a symlink?); "
                "supporting files must live in the project",
            )
        try:
            # a FIFO would block the open, a device read forever: regular files only
            if not stat.S_ISREG(os.stat(self.inventory.path(src_id)).st_mode):
                raise SpecError.one(
                    file,
                    line,
                    f"{field}.src",
                    f"'{entry['src']}' ({src_id}) is not a regular file (a FIFO, device or "
                    "folder); supporting files must be regular files",
                )
            with open(self.inventory.path(src_id), "rb") as f:
                raw = f.read()
        except OSError as exc:
            raise SpecError.one(
                file,
                line,
                f"{field}.src",
                f"cannot read '{entry['src']}' ({src_id}): {exc.strerror}",
            ) from None
        digests[src_id] = digest_bytes(raw)
        if entry.get("render"):
            try:
                source = raw.decode("utf-8")
                closure = self.library.closure_of_source(source, src_id)
                deps.extend(closure.deps())
                text = self.limits.render(
                    self._inline(source, src_id),
                    {"spec": spec.data, "vars": variables, "project": self.config.vars},
                )
            except Exception as exc:
                raise SpecError([self._problem(exc, spec, f"{field}.src", src_id)]) from None
            raw = _finish(text)
        return RenderedOutput(self.config.rel(dest), raw, False)

    # -- errors ---------------------------------------------------------------------------

    def _problem(self, exc: BaseException, spec: Spec, field: str, label: str) -> Problem:
        """Turn a template error into a problem at the spec line (or template line) it concerns."""
        file, line = spec.origin(field)
        inline = label.startswith(f"{spec.file}#")
        if isinstance(exc, jinja2.TemplateSyntaxError):
            frame: tuple[str, int] | None = (exc.filename or exc.name or label, exc.lineno)
        else:
            frame = _template_frame(exc.__traceback__)
        if frame is not None and frame[0].startswith(INLINE):
            frame = (label, frame[1])  # shared inline code: the render that failed is ours
        where = ""
        if frame is not None and frame[0] == label and inline:
            sid = field.split(".")[1]
            section = next((s for s in spec.sections if s.get("id") == sid), {})
            text = str(section.get("body") or "")
            if line is not None and "\n" in text.rstrip("\n"):
                line += frame[1]  # a block scalar's first line is the one after `body:`
        elif frame is not None:
            where = f" in {frame[0].removeprefix('builtin:')}:{frame[1]}"
        elif not inline:
            where = f" in {label.removeprefix('builtin:')}"
        if isinstance(exc, jinja2.TemplateSyntaxError):
            message = f"template syntax error{where}: {exc.message}"
        elif isinstance(exc, jinja2.UndefinedError):
            message = f"undefined value{where}: {_readable(str(exc.message))}"
            if "(required by" not in str(exc.message):
                message += "; use `is defined` or `|default(...)` for optional values"
        elif isinstance(exc, TemplateUnreadable):
            message = f"template {exc.message}"
        elif isinstance(exc, jinja2.TemplateNotFound):
            message = f"template not found{where}: {exc.message}"
        elif isinstance(exc, RenderLimitError):
            message = f"template stopped{where}: {exc}"
        elif isinstance(exc, jinja2.exceptions.SecurityError):
            message = f"template refused by the sandbox{where}: {exc}"
        elif isinstance(exc, RecursionError):
            message = f"template error{where}: {TOO_DEEP}"
        else:
            message = f"template error{where}: {exc.__class__.__name__}: {exc}"
        foreign = self._foreign(exc, spec, field, label)
        return Problem(
            file, line, field, f"foreign template syntax{where}: {foreign}" if foreign else message
        )

    def _foreign(self, exc: BaseException, spec: Spec, field: str, label: str) -> str | None:
        """Name another tool's template syntax (`${{ secrets.X }}`) that broke a render."""
        source = getattr(exc, "source", None)
        remedy: str | None = None
        if label.startswith(f"{spec.file}#"):
            sid = field.split(".")[1]
            section = next((s for s in spec.sections if s.get("id") == sid), {})
            source, remedy = (
                source or str(section.get("body") or ""),
                "set `render: false` on the section",
            )
        elif field.startswith("files["):
            remedy = "leave out `render: true` on the files entry"
            if source is None:
                try:
                    with open(self.inventory.path(label), encoding="utf-8") as f:
                        source = f.read()
                except (OSError, UnicodeDecodeError):
                    source = None
        elif source is None and label in self.inventory.templates:
            try:
                source = self.env.loader.get_source(self.env, label)[0]  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                source = None
        return foreign_message(exc, source, remedy)


def _readable(message: str) -> str:
    """Say "no key 'x'" instead of Jinja's "'dict object' has no attribute 'x'"."""
    prefix = "'dict object' has no attribute "
    if message.startswith(prefix):
        return f"no key {message[len(prefix) :]}"
    return message


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """Return (template, line) of the innermost template frame of a render traceback."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _finish(text: str) -> bytes:
    """LF line endings and exactly one trailing newline."""
    text = text.replace("\r\n", "\n").rstrip("\n") + "\n"
    return text.encode("utf-8")
