"""Render a merged spec into its output files, section by section, through the caches.

A section is the unit of caching: its key covers the closure of its template, its own data
and only the context fields the closure can reach (DESIGN §5). Nothing here writes files.
"""

from __future__ import annotations

import re
import time

from skillforge import __version__
from skillforge.cache.keys import SECTION, TOKENS
from skillforge.engine.costs import OutputCost, one_line
from skillforge.engine.documents import (
    Document,
    RenderedOutput,
    RenderedSpec,
    merge_shared,
    output_paths,
    section_key,
    section_texts,
    sections_tokens,
    target_value,
)
from skillforge.engine.files import finish, supporting_file
from skillforge.engine.jinja.analysis import Closure
from skillforge.engine.jinja.context import RenderContext, template_error
from skillforge.engine.jinja.substitute import render as substitute
from skillforge.engine.load.schema import OUTPUT_KEY, for_target, output_name, spec_targets
from skillforge.engine.load.spec import Spec
from skillforge.engine.strings import render_strings
from skillforge.errors import Problem, SpecError
from skillforge.report.model import FRONT_END, output_key, part_key
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.inventory import BUILTIN
from skillforge.targets import get_target
from skillforge.targets.base import Target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


class Renderer(RenderContext):
    """Renders specs for one build: sections once, then each target's document of the spec."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prefixes: dict[tuple[str, str], str] = {}  # output_paths' out folders
        self._joined: tuple[list[str], str, str] = ([], "", "")  # texts, joined, part_key
        self._twins: dict[tuple[str, str], Document] = {}
        self._titles: dict[str, int] = {}  # a section title -> the tokens of its heading

    def render_spec(self, spec: Spec) -> RenderedSpec:
        """Render one spec; raise SpecError naming the section and template on failure."""
        self.notes = []
        variables = spec.data.get("vars") or {}
        spec, string_keys = render_strings(self, spec, variables)
        data = spec.data
        targets = [get_target(t) for t in spec_targets(data, self.config.targets)]
        problems: list[Problem] = []
        deps = list(spec.deps)
        # per section: its key and text for each target (one shared entry when it does not
        # read `target`: it is rendered once and shared by every target)
        rendered: list[tuple[dict[str, Any], dict[str | None, tuple[str, str, int]]]] = []
        for section in spec.sections:
            try:
                per = self._section_for_targets(spec, section, variables, targets, deps)
            except SpecError as exc:
                problems.extend(exc.problems)
                continue
            rendered.append((section, per))
        if problems:
            raise SpecError(problems)
        base = self.target.template(spec.kind)
        closure = self.closure(spec, base, "kind")
        deps.extend(closure.deps())
        # the sections' texts, one list for every target when no section reads `target`
        same = all(None in per for _, per in rendered)
        shared = section_texts(rendered, None) if same else []
        docs = [
            self._document(spec, t, shared if same else section_texts(rendered, t.name), base)
            for t in targets
        ]
        self._laid_out = False  # the first document of a spec is rendered through Jinja
        self._twins = {}  # (head, layout) -> the first document of this spec laid out so
        warnings = list(spec.warnings)
        if not targets:  # never silent: say why the spec has no output
            names = ", ".join(self.config.targets)
            why = f"no target of this build ({names}) writes a {spec.kind}; nothing is written"
            warnings.append(Problem(*spec.origin("kind"), "kind", why, "warning"))
        for doc in docs:
            warnings.extend(
                Problem(*spec.origin("model"), "model", w, "warning") for w in doc.warnings
            )
        merge_shared(spec, docs, self._lay_out)
        for doc in docs:
            if not doc.data:
                self._lay_out(spec, doc)
        # (by their digest: a Codex agent's head is its whole TOML document, body included)
        heads_digest = digest_bytes("".join(d.head for d in docs).encode())
        section_keys = [
            (s["id"], per[None][0] if None in per else section_key(per)) for s, per in rendered
        ]
        document_key = digest_value(
            __version__,
            self.fingerprint,
            closure.digest,
            heads_digest,
            section_keys,
            self.reach(closure, data, variables),
            [d.path for d in docs],
            *([string_keys] if string_keys else []),
        )
        outputs: list[RenderedOutput] = []
        dropped: dict[str, list[str]] = {}
        notes: dict[str, list[str]] = {}  # per output: what `--explain` says of its target
        seen: set[str] = set()
        digests: dict[str, str] = {}
        marked: list[tuple[bytes, Any, bytes]] = []  # (document, mark function, marked)
        primary = None
        for doc in docs:
            # a shared path names the target of each note
            who = f"{doc.target.name}: " if doc.shared else ""
            if doc.dropped:
                dropped[doc.path] = list(dict.fromkeys(dropped.get(doc.path, []) + doc.dropped))
            for how in doc.approximated:
                notes.setdefault(doc.path, []).append(who + how)
            if doc.dropped:
                notes.setdefault(doc.path, []).append(f"{who}dropped {', '.join(doc.dropped)}")
            if doc.path in seen:
                continue  # a shared path: written once (the documents are equal)
            seen.add(doc.path)
            out = RenderedOutput(doc.path, doc.data, True)
            if primary is None:  # its costs are counted without the marker
                primary = (RenderedOutput(doc.path, doc.data, True), doc)
            if self.config.marker:  # (twins share their bytes: marked once, see _lay_out)
                mark = type(doc.target).mark
                done = next((m for d, f, m in marked if d is doc.data and f is mark), None)
                if done is None:
                    done = doc.target.mark(doc.data, spec.file)
                    marked.append((doc.data, mark, done))
                out.data = done
            outputs.append(out)
        for doc in docs:
            for rel, text in doc.sidecars.items():
                if doc.folder is not None and f"{doc.folder}/{rel}" not in seen:
                    seen.add(f"{doc.folder}/{rel}")
                    outputs.append(RenderedOutput(f"{doc.folder}/{rel}", finish(text), False))
        body_tokens = sections_tokens(rendered, self._titles, self.tokens.count)
        files = self._files(spec, docs, variables, deps, digests, seen)
        outputs.extend(files)
        cost = None
        if primary is not None:  # the first target's document and its own supporting files
            body_tokens += len(rendered) if rendered else 0
            own = f"{primary[1].folder}/"
            mine = [f for f in files if f.path.startswith(own)]
            cost = self._cost(spec, [primary[0], *mine], primary[1].head, body_tokens)
        if self.config.plugins is not None:  # a plugin's member: its files in the plugin too
            found = self.config.plugins.member_files(spec, outputs, self.config, (dropped, notes))
            outputs += [RenderedOutput(d, outputs[i].data, outputs[i].document) for i, d in found]
        return RenderedSpec(
            spec.file,
            outputs,
            document_key,
            section_keys,
            heads_digest,
            deps,
            digests,
            spec.origin(OUTPUT_KEY[spec.kind] if OUTPUT_KEY[spec.kind] in data else "name"),
            cost,
            tuple(warnings),
            self.target.references(spec.kind, data, spec.origin),
            list(dict.fromkeys(self.notes)),
            dropped,
            notes,
        )

    def _section_for_targets(
        self,
        spec: Spec,
        section: dict[str, Any],
        variables: dict[str, Any],
        targets: list[Target],
        deps: list[str],
    ) -> dict[str | None, tuple[str, str, int]]:
        """Render a section once, or once per target when it reads `target`."""
        first = targets[0] if targets else None
        key, text, tokens, closure = self._section(spec, section, variables, first)
        if closure is not None:
            deps.extend(closure.deps())
        if closure is None or "target" not in closure.reach or not targets:
            return {None: (key, text, tokens)}
        per: dict[str | None, tuple[str, str, int]] = {targets[0].name: (key, text, tokens)}
        for target in targets[1:]:
            key, text, tokens, _ = self._section(spec, section, variables, target)
            per[target.name] = (key, text, tokens)
        return per

    def _document(
        self,
        spec: Spec,
        target: Target,
        texts: list[str],
        base: str,
    ) -> Document:
        """Translate the spec for `target` and lay out its document (not yet marked)."""
        view = for_target(spec.data, target.name)
        translation = target.translate(spec.kind, view, self.config.models.get(target.name, {}))
        if translation.errors:
            raise SpecError(
                [
                    Problem(*spec.origin(f), f, f"{message} (target {target.name})")
                    for f, message in translation.errors
                ]
            )
        name = output_name(spec.kind, view)
        path, doc_folder = output_paths(self.config, target, spec.kind, name, self._prefixes)
        doc = Document(target, path, translation)
        doc.folder = doc_folder
        doc.texts = texts
        doc.base = base
        return doc

    def _lay_out(self, spec: Spec, doc: Document) -> None:
        """Write the head and the document's bytes from its translation and sections."""
        values = doc.translation.values
        if doc.target.is_toml(spec.kind):
            body = "\n\n".join(doc.texts) + "\n"
            doc.head = doc.target.toml_document(values, body)
            doc.data = finish(doc.head)
            return
        doc.head = doc.target.head(spec.kind, values)
        twin = self._twins.get((doc.head, doc.base))
        if twin is not None and twin.texts is doc.texts:
            # another target's document of this spec with the same head: the same layout of
            # the same parts, so the same bytes (the layout's render is counted all the same)
            self.counters.timed(doc.base, 0.0, "", twin.key)
            doc.data, doc.key = twin.data, twin.key
            return
        self._twins[doc.head, doc.base] = doc
        if self.inventory.templates.get(doc.base, "") == BUILTIN + doc.base and (
            self._laid_out or self.plain_layout(doc.base)
        ):
            # the built-in layout (templates/base/*.md.j2) is laid out without Jinja: when its
            # source is the one `substitute.LAYOUT` renders, else rendered once per spec and
            # the other targets' documents laid out the same way (and their `output_key`
            # digests the part after the head once per spec)
            started = time.perf_counter()
            if self._joined[0] is not doc.texts:  # the targets of a spec share their texts
                body = "\n\n".join(doc.texts)
                self._joined = (doc.texts, body, part_key(f"{FRONT_END}\n{body}\n"))
            text = f"---\n{doc.head}---\n\n{self._joined[1]}\n"
            seconds = time.perf_counter() - started
            at = text.find(FRONT_END)
            key = part_key(text[:at]) + self._joined[2] if at == 3 + len(doc.head) else None
            doc.key = output_key(text) if key is None else key
            self.counters.timed(doc.base, seconds, text, doc.key)
            doc.data = finish(text)
            return
        self._laid_out = True
        started = time.perf_counter()
        try:
            document = self.limits.render(
                self.template(doc.base),
                {"frontmatter": doc.head, "sections": doc.texts, "spec": spec.data},
            )
        except Exception as exc:
            raise SpecError([self.problem(exc, spec, "kind", doc.base)]) from None
        doc.key = output_key(document)
        self.counters.timed(doc.base, time.perf_counter() - started, document, doc.key)
        if document.startswith("\ufeff"):
            # Claude Code before 2.1.239 skipped such files silently (FORMATS.md §2.1), and
            # no tool documents one: a layout template must not write it (every target)
            raise SpecError.one(
                *spec.origin("kind"),
                "kind",
                f"{doc.base} writes a byte order mark (BOM) first; tools skip such files: "
                "remove it from the template",
            )
        doc.data = finish(document)

    def _files(
        self,
        spec: Spec,
        docs: list[Document],
        variables: dict[str, Any],
        deps: list[str],
        digests: dict[str, str],
        seen: set[str],
    ) -> list[RenderedOutput]:
        """The supporting files, rendered once and copied into every target's skill folder."""
        outputs: list[RenderedOutput] = []
        homes = [d for d in docs if d.folder is not None]
        if not spec.files or not homes:
            return outputs
        first = homes[0]
        path = self.config.root / first.path
        folder = self.config.root / (first.folder or ".")
        dests: dict[str, int] = {}
        for i, entry in enumerate(spec.files):
            dest, raw = supporting_file(
                self, spec, i, entry, path, folder, variables, deps, digests
            )
            if dest in dests:  # one dest twice: the later entry would win silently
                first_i = dests[dest]
                file, line = spec.origin(f"files[{i}]")
                at = spec.origin(f"files[{first_i}]")[1]
                raise SpecError.one(
                    file,
                    line,
                    f"files[{i}].dest",
                    f"'{entry['dest']}' is also the dest of files[{first_i}]"
                    f"{f' (line {at})' if at else ''}; give each file its own dest",
                )
            dests[dest] = i
            inside = dest[len(first.folder or "") + 1 :]
            for doc in homes:
                copy = f"{doc.folder}/{inside}"
                if copy not in seen:
                    seen.add(copy)
                    outputs.append(RenderedOutput(copy, raw, document=False))
        return outputs

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
        self,
        spec: Spec,
        section: dict[str, Any],
        variables: dict[str, Any],
        target: Target | None = None,
    ) -> tuple[str, str, int, Closure | None]:
        """Return the section's key, text, token estimate and template closure."""
        context_target = target_value(target)
        sid = section["id"]
        own = {"id": sid, "title": section.get("title"), "with": section.get("with") or {}}
        closure: Closure | None = None
        template_name = section.get("template")
        body: str = section.get("body") or ""
        if template_name is not None:
            closure = self.closure(spec, template_name, f"sections.{sid}.template")
        elif section.get("render", True) and ("{{" in body or "{%" in body or "{#" in body):
            field = f"sections.{sid}.body"
            try:
                closure = self.library.closure_of_source(body, self.label(spec, sid))
            except Exception as exc:
                if not template_error(exc):
                    raise
                raise SpecError([self.problem(exc, spec, field, self.label(spec, sid))]) from None
            for name in closure.missing:
                raise self.missing(spec, f"sections.{sid}.body", name)
        reach = self.reach(closure, spec.data, variables, context_target) if closure else None
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
            context = {
                "spec": spec.data,
                "vars": variables,
                "section": own,
                "project": self.config.vars,
                "target": context_target,
            }
            started = time.perf_counter()
            # a plain substitution (`{{ vars.topic }}`) of an inline body: without Jinja2
            plain = None if template_name else substitute(body, context, self.limits.max_size)
            try:
                if plain is not None:
                    text = plain
                else:
                    template = (
                        self.template(template_name) if template_name else self.inline(body, label)
                    )
                    started = time.perf_counter()
                    text = self.limits.render(template, context)
                self.counters.timed(label, time.perf_counter() - started, text)
            except Exception as exc:
                field = f"sections.{sid}.template" if template_name else f"sections.{sid}.body"
                raise SpecError([self.problem(exc, spec, field, label)]) from None
        text = _LEADING_BLANK_LINES.sub("", text).rstrip()
        tokens = self.tokens.count(text)
        self.counters.sections_rendered += 1
        self.store.set(SECTION + key, [text, tokens])
        return key, text, tokens, closure
