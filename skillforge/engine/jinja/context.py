"""What every render of one build shares: the Environment, the template library, the limits,
the token counter, the target and the cache handles.

Inline code, fragments and template closures are cached here; `render.py` renders sections
and documents on top, `strings.py` the string fields, `files.py` the supporting files.
"""

from __future__ import annotations

import marshal
import time

from skillforge import __version__
from skillforge.cache.keys import FRAGMENT, INLINE_CODE
from skillforge.cache.local import Store
from skillforge.engine.jinja.analysis import Closure, Library, fragment_template
from skillforge.engine.jinja.limits import RenderLimits
from skillforge.engine.jinja.substitute import plain_layout
from skillforge.engine.jinja.template_errors import INLINE, template_problem
from skillforge.engine.jinja.templating import env_fingerprint, template_source
from skillforge.engine.load.config import Config
from skillforge.engine.tokens import TokenCounter
from skillforge.errors import Problem, SpecError, hint
from skillforge.report.model import Counters
from skillforge.state.digest import digest_bytes, digest_value, settle
from skillforge.state.inventory import Inventory
from skillforge.targets import DEFAULT, get_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import jinja2

    from skillforge.engine.load.spec import Spec

MISSING = "\x00missing"


def template_error(exc: BaseException) -> bool:
    """Whether `exc` is a template's syntax error, a template not found or a recursion (what
    a closure's analysis raises for the spec to report); Jinja2 is imported if it was not."""
    if isinstance(exc, RecursionError):
        return True
    import jinja2

    return isinstance(exc, (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound))


class RenderContext:
    """The Environment and the cache handles of one build's renders."""

    def __init__(
        self, config: Config, inventory: Inventory, store: Store, target: str = DEFAULT[0]
    ) -> None:
        self.config = config
        self.target = get_target(target)
        self.inventory = inventory
        self.store = store
        self.counters = Counters()
        self._env: jinja2.Environment | None = None
        self.library = Library(lambda: self.env, inventory, store, config.max_template_bytes)
        self.fingerprint = env_fingerprint()
        self.limits = RenderLimits(config.render_timeout, config.max_render_size)
        self.tokens = TokenCounter(config.cache_dir, save=not store.read_only)
        self.notes: list[str] = []
        self._plain_layouts: dict[str, bool] = {}
        # fragment calls with plain arguments -> their text, from the cache or a render of
        # this build: a repeated call is served without its key (`fragment`)
        self._fragments: dict[tuple[Any, ...], str] = {}
        self._templates: dict[str, jinja2.Template] = {}

    def plain_layout(self, name: str) -> bool:
        """Whether layout `name` is the built-in one `substitute.LAYOUT` lays out."""
        if name not in self._plain_layouts:
            source = template_source(self.inventory, name, self.config.max_template_bytes)
            self._plain_layouts[name] = plain_layout(source)
        return self._plain_layouts[name]

    @property
    def env(self) -> jinja2.Environment:
        """The build's Environment, made (and Jinja2 imported) when a render first needs it:
        sections served from the cache, plain text and plain substitutions never do."""
        if self._env is None:
            from skillforge.engine.jinja.environment import make_environment

            env = make_environment(
                self.inventory, self.store, self.counters, self.config.max_template_bytes
            )
            env.globals["fragment"] = env.direct_call = self.fragment  # type: ignore[attr-defined]
            env.max_size = self.limits.max_size  # type: ignore[attr-defined]
            self._env = env
        return self._env

    def template(self, name: str) -> jinja2.Template:
        """`env.get_template(name)`, kept for the build (until `forget`)."""
        found = self._templates.get(name)
        if found is None:
            found = self._templates[name] = self.env.get_template(name)
        return found

    def forget(self, templates: set[str]) -> None:
        """Drop the compiled templates, digests and closures of templates that changed."""
        if templates:
            self._templates.clear()
        cache = self._env.cache if self._env is not None else None
        if templates and cache is not None:
            for key in [k for k in cache if k[1] in templates]:
                del cache[key]
        self.library.forget(templates)
        if templates:
            self._plain_layouts.clear()
            self._fragments.clear()

    def closure(self, spec: Spec, name: str, field: str) -> Closure:
        """Return the closure of template `name`; SpecError at `field` when it is missing."""
        if name not in self.inventory.templates:
            raise self.missing(spec, field, name)
        try:
            closure = self.library.closure(name)
        except Exception as exc:
            if not template_error(exc):
                raise
            raise SpecError([self.problem(exc, spec, field, name)]) from None
        for missing in closure.missing:
            raise self.missing(spec, field, missing, via=name)
        return closure

    def missing(self, spec: Spec, field: str, name: str, via: str | None = None) -> SpecError:
        """Return the error of a template `name` that is not found."""
        file, line = spec.origin(field)
        known = list(self.inventory.templates)
        where = f" (included by {via})" if via else ""
        return SpecError.one(
            file, line, field, f"template '{name}' not found{where}{hint(name, known)}"
        )

    def reach(
        self,
        closure: Closure,
        data: dict[str, Any],
        variables: dict[str, Any],
        target: dict[str, Any] | None = None,
    ) -> Any:
        """Return the context values a closure can read (they go into its cache keys).

        `target` is the `target` variable of a render for one target (DESIGN §4); a closure
        that reads it while none is given is keyed on "no target".
        """
        sources = {
            "spec": data,
            "vars": variables,
            "project": self.config.vars,
            "target": target or {},
        }
        values: dict[str, Any] = {}
        for root, fields in closure.reach.items():
            source = sources[root]
            values[root] = source if fields is None else {f: source.get(f, MISSING) for f in fields}
        return values

    def label(self, spec: Spec, sid: str) -> str:
        """Return the name errors give an inline section body."""
        return f"{spec.file}#sections.{sid}"

    def inline(self, source: str, label: str) -> jinja2.Template:
        """Compile an inline template through the compiled-template cache."""
        key = INLINE_CODE + digest_value(self.fingerprint, INLINE, source)
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

    def fragment(self, name: str, **args: Any) -> str:
        """Render fragment `name` with `args` (the `fragment()` of templates), through its cache."""
        template_name = fragment_template(name)
        if template_name not in self.inventory.templates:
            import jinja2

            known = [n[10:-6] for n in self.inventory.templates if n.startswith("fragments/")]
            raise jinja2.TemplateNotFound(f"{template_name}{hint(name, known)}")
        call = _plain_call(template_name, args)
        if call is not None:
            done = self._fragments.get(call)
            if done is not None:
                self.counters.fragments_cached += 1
                return done
        closure = self.library.closure(template_name)
        args, uncacheable = settle(args)
        key = ""
        if uncacheable is None:
            key = FRAGMENT + digest_value(__version__, self.fingerprint, closure.digest, args)
            cached = self.store.get(key)
            if isinstance(cached, list) and len(cached) == 2:  # [text, tokens]
                self.counters.fragments_cached += 1
                text: str = cached[0]
                if call is not None:
                    self._fragments[call] = text
                return text
        else:
            # no canonical form, no key: rendered every time (never a guess from a repr)
            self.notes.append(f"fragment {name} not cached: {uncacheable}")
        started = time.perf_counter()
        text = self.limits.render(self.template(template_name), args)
        self.counters.timed(template_name, time.perf_counter() - started, text)
        self.counters.fragments_rendered += 1
        if key:
            self.store.set(key, [text, self.tokens.count(text)])
            if call is not None:
                self._fragments[call] = text
        return text

    def problem(self, exc: BaseException, spec: Spec, field: str, label: str) -> Problem:
        """Turn a template error into a problem at the spec line (or template line) it concerns."""
        return template_problem(self.env, self.inventory, exc, spec, field, label)


def _plain_call(name: str, args: dict[str, Any]) -> tuple[Any, ...] | None:
    """A fragment call as a key of this build's calls, when every argument is a str, an
    int, a bool or None: equal values of one type render the same (unlike 0.0 and -0.0)."""
    call: list[Any] = [name]
    for arg, value in args.items():
        kind = type(value)
        if kind is not str and kind is not int and kind is not bool and value is not None:
            return None
        call += (arg, kind, value)
    return tuple(call)
