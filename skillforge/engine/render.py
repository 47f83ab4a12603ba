"""Render a merged spec into its output files, section by section, through the caches.

A section is the unit of caching: its key covers the closure of its template, its own data
and only the context fields the closure can reach (DESIGN §5). Nothing here writes files.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from skillforge import __version__
from skillforge.cache.keys import SECTION, TOKENS
from skillforge.engine.costs import OutputCost, one_line
from skillforge.engine.files import finish, supporting_file
from skillforge.engine.jinja.analysis import Closure
from skillforge.engine.jinja.context import RenderContext
from skillforge.engine.load.config import Config
from skillforge.engine.load.schema import OUTPUT_KEY, output_name
from skillforge.engine.load.spec import Spec
from skillforge.engine.strings import render_strings
from skillforge.errors import Problem, SpecError
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.targets.base import Ref, Target

_JINJA_SYNTAX = ("{{", "{%", "{#")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


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
    refs: tuple[Ref, ...] = ()  # names of other specs it refers to (Target.references)
    # what `build --explain` adds: fragment calls that could not be cached, and why
    notes: list[str] = field(default_factory=list)


def output_paths(config: Config, target: Target, kind: str, name: str) -> tuple[Path, Path]:
    """Return (document path, folder for supporting files) of a spec's outputs."""
    folder = target.files_folder(kind, name)
    return config.out / target.document(kind, name), config.out / (folder or ".")


class Renderer(RenderContext):
    """Renders specs for one build: sections, then each spec's document through its target."""

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
        frontmatter = self.target.emit(spec.kind, data)
        base = self.target.template(spec.kind)
        closure = self.closure(spec, base, "kind")
        deps.extend(closure.deps())
        document_key = digest_value(
            __version__,
            self.fingerprint,
            closure.digest,
            frontmatter,
            section_keys,
            self.reach(closure, data, variables),
            *([string_keys] if string_keys else []),
        )
        started = time.perf_counter()
        try:
            document = self.limits.render(
                self.env.get_template(base),
                {"frontmatter": frontmatter, "sections": texts, "spec": data},
            )
        except Exception as exc:
            raise SpecError([self.problem(exc, spec, "kind", base)]) from None
        self.counters.timed(base, time.perf_counter() - started, document)
        name = output_name(spec.kind, data)
        path, folder = output_paths(self.config, self.target, spec.kind, name)
        outputs = [RenderedOutput(self.config.rel(path), finish(document), True)]
        digests: dict[str, str] = {}
        dests: dict[str, int] = {}
        for i, entry in enumerate(spec.files):
            dest, raw = supporting_file(
                self, spec, i, entry, path, folder, variables, deps, digests
            )
            out = RenderedOutput(dest, raw, document=False)
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
            outputs[0].data = self.target.mark(outputs[0].data, spec.file)
        if self.config.plugins is not None:  # a plugin's member: its files in the plugin too
            out_rel = self.config.rel(self.config.out)
            paths = [o.path for o in outputs]
            for i, dest in self.config.plugins.copies(spec.kind, spec.name, out_rel, paths):
                outputs.append(RenderedOutput(dest, outputs[i].data, outputs[i].document))
        return RenderedSpec(
            spec.file,
            outputs,
            document_key,
            section_keys,
            frontmatter,
            deps,
            digests,
            spec.origin(OUTPUT_KEY[spec.kind] if OUTPUT_KEY[spec.kind] in data else "name"),
            cost,
            spec.warnings,
            self.target.references(spec.kind, data, spec.origin),
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
        listing = self.target.listing
        entry = listing.entry(spec.kind, spec.name, description, spec.data) if listing else ""
        cut_at = listing.entry_chars if listing else len(entry)
        metadata = self.tokens.count(entry)
        cut = len(entry) > cut_at
        files_tokens = 0
        for out in outputs[1:]:
            key = TOKENS + digest_bytes(out.data)
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
            listing_tokens=self.tokens.count(entry[:cut_at]) if cut else metadata,
            cut_text=entry[cut_at : cut_at + 40] if cut else "",
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
            closure = self.closure(spec, template_name, f"sections.{sid}.template")
        elif section.get("render", True) and any(m in body for m in _JINJA_SYNTAX):
            field = f"sections.{sid}.body"
            try:
                closure = self.library.closure_of_source(body, self.label(spec, sid))
            except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound, RecursionError) as exc:
                raise SpecError([self.problem(exc, spec, field, self.label(spec, sid))]) from None
            for name in closure.missing:
                raise self.missing(spec, f"sections.{sid}.body", name)
        reach = self.reach(closure, spec.data, variables) if closure else None
        key = digest_value(
            __version__,
            self.fingerprint,
            "section",
            template_name,
            closure.digest if closure else body,
            own,
            reach,
        )
        cached = self.store.get(SECTION + key)
        if isinstance(cached, list) and len(cached) == 2:  # [text, tokens]
            self.counters.sections_cached += 1
            return key, cached[0], cached[1], closure
        if closure is None:
            text = body
        else:
            label = template_name or self.label(spec, sid)
            try:
                template = (
                    self.env.get_template(template_name)
                    if template_name
                    else self.inline(body, label)
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
                raise SpecError([self.problem(exc, spec, field, label)]) from None
        text = _LEADING_BLANK_LINES.sub("", text).rstrip()
        tokens = self.tokens.count(text)
        self.counters.sections_rendered += 1
        self.store.set(SECTION + key, [text, tokens])
        return key, text, tokens, closure
