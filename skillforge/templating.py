"""The Jinja2 environment: project-over-built-in loader, bytecode cache, template analysis.

Analysis reads a template's AST once per source digest: which templates it pulls in (extends,
include, import, `fragment("x")`) and which top-level fields of `spec`, `vars` and `project` it
can reach. Section cache keys are built from these, so they cover only what a section can see.
"""

from __future__ import annotations

import functools
import os
import re
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jinja2
import yaml
from jinja2 import nodes
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join
from jinja2.sandbox import SandboxedEnvironment, _mutable_spec, modifies_known_mutable

from skillforge import __version__
from skillforge.cache import Store
from skillforge.discover import BUILTIN, Inventory
from skillforge.fingerprint import digest_bytes, digest_value
from skillforge.limits import DEFAULT_MAX_SIZE

ENV_OPTIONS: dict[str, Any] = {
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": False,
    "auto_reload": False,
}
# Jinja2's own list of the methods that change a list, dict, set or deque.
_MUTATORS = frozenset(name for _, names in _mutable_spec for name in names)
_MAX_REPEAT = 10_000_000
_MAX_POWER_BITS = 100_000
# str methods whose result can be far longer than the string and its arguments
_GROWING = frozenset(
    ["ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "format", "format_map"]
)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")
_MAX_JSON_INDENT = 64


def _number(value: Any) -> int:
    """The largest number a format width could be read from `value` (0 if none)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return abs(int(value)) if value == value and abs(value) != float("inf") else 0
    if isinstance(value, str) and len(value) < 100:
        return max((int(d) for d in _DIGITS.findall(value)), default=0)
    return 0


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _format_size(fmt: str, args: Any, kwargs: Any) -> int:
    """An upper bound on the length of `fmt.format(*args, **kwargs)`."""
    values = list(args) + list(kwargs.values() if isinstance(kwargs, dict) else [])
    longest = max((_length(v) for v in values), default=0)
    widest = max((_number(v) for v in values), default=0)
    size = len(fmt)
    for _, field_name, spec, _ in string.Formatter().parse(fmt):
        if field_name is None:
            continue
        # `{:{}}`: a width taken from the arguments may be any of them
        numbers = (
            [widest] if spec and "{" in spec else [int(d) for d in _DIGITS.findall(spec or "")]
        )
        size += longest + sum(numbers)
    return size


def _printf_size(fmt: str, values: Any) -> int:
    """An upper bound on the length of `fmt % values`."""
    items = list(values.values()) if isinstance(values, dict) else values
    items = list(items) if isinstance(items, tuple | list) else [items]
    longest = max((_length(v) for v in items), default=0)
    widest = max((_number(v) for v in items), default=0)
    size = len(fmt)
    for match in _PRINTF.finditer(fmt):
        for part in match.groups():
            if part == "*":
                size += widest
            elif part:
                size += int(part)
        size += longest
    return size


class TemplateSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, also refusing to change the data a template is given.

    Templates are untrusted input (a pull request may add one): the sandbox refuses
    `__class__`, `__globals__`, `mro()` and every other route to Python internals. Changing
    the context (`spec.sections.append(...)`) is refused too: it would make the section cache
    lie. Jinja2's `ImmutableSandboxedEnvironment` does the same with an ABC `isinstance` check
    on every attribute read; checking the name first skips it on ordinary reads. The sandbox
    costs about 10% of render time (`benchmarks/sandbox.py`; README.md, "Reliability").
    """

    # `*` and `**` are checked so that `'x' * 10**12` or `9**9**9` fail at once instead of
    # filling memory or computing in C, where no timer can stop them; `+`, `%` and `~` (and
    # the str methods and filters that grow text) so that no string outgrows the render cap:
    # a doubling loop or `'%0999999999d' % 1` allocates before the cap on the output sees it.
    intercepted_binops = frozenset(["*", "**", "+", "%"])
    max_size = DEFAULT_MAX_SIZE  # the Renderer sets `[build] max_render_size`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_generator_class = _BoundedConcat
        for name, check in _FILTER_CHECKS.items():
            self.filters[name] = _checked_filter(self, self.filters[name], check)

    def refuse_size(self, size: int, what: str) -> None:
        """Refuse an operation whose result would be longer than `max_size` characters."""
        if size > self.max_size:
            raise SecurityError(
                f"{what} would make {size:,} characters, more than the {self.max_size:,} "
                "of [build] max_render_size"
            )

    def bounded_concat(self, markup: bool, parts: tuple[Any, ...]) -> str:
        """`a ~ b`, within the size cap."""
        texts = [p if isinstance(p, str) else str(p) for p in parts]
        self.refuse_size(sum(len(t) for t in texts), "joining text with `~`")
        return markup_join(parts) if markup else "".join(texts)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._bounded(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return self._bounded(obj, argument, value) if isinstance(argument, str) else value

    def _bounded(self, obj: Any, name: str, value: Any) -> Any:
        if not (isinstance(obj, str) and name in _GROWING and callable(value)):
            return value

        def bounded(*args: Any, **kwargs: Any) -> Any:
            if name == "join" and args:
                args = (list(args[0]), *args[1:])
            self.refuse_size(_method_size(obj, name, args, kwargs), f"str.{name}()")
            return value(*args, **kwargs)

        return functools.update_wrapper(bounded, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "+" and isinstance(left, str) and isinstance(right, str):
            self.refuse_size(len(left) + len(right), "`+`")
        elif operator == "+" and isinstance(left, list | tuple) and isinstance(right, list | tuple):
            if len(left) + len(right) > _MAX_REPEAT:
                raise SecurityError(f"a list of {len(left) + len(right):,} items is too long")
        elif operator == "%" and isinstance(left, str):
            self.refuse_size(_printf_size(left, right), "`%` formatting")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and left.bit_length() * right > _MAX_POWER_BITS:
                raise SecurityError(f"{left} ** {right} is too large a number")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple | bytes)
                if sized and isinstance(times, int) and len(seq) * times > _MAX_REPEAT:
                    raise SecurityError(f"repeating {len(seq):,} items {times:,} times is too much")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in _MUTATORS and modifies_known_mutable(obj, attr):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _method_size(text: str, name: str, args: Any, kwargs: dict[str, Any]) -> int:
    """An upper bound on the length of `text.<name>(*args, **kwargs)`."""
    if name in ("ljust", "rjust", "center", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        return max(len(text), width if isinstance(width, int) else 0)
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(text) + text.count("\t") * max(size if isinstance(size, int) else 0, 0)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        found = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        return len(text) + found * max(_length(new) - len(old), 0)
    if name == "join" and args:
        items = args[0]
        return sum(_length(i) for i in items) + len(text) * max(len(items) - 1, 0)
    if name in ("format", "format_map"):
        if name == "format_map":
            return _format_size(text, (), args[0] if args else {})
        return _format_size(text, args, kwargs)
    return len(text)


def _check_center(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    text = str(args[0]) if args else ""
    return _method_size(text, "center", args[1:], kwargs), "the center filter"


def _check_indent(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    text = str(args[0]) if args else ""
    width = args[1] if len(args) > 1 else kwargs.get("width", 4)
    prefix = width if isinstance(width, int) and not isinstance(width, bool) else len(str(width))
    return len(text) + (text.count("\n") + 1) * prefix, "the indent filter"


def _check_replace(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    text = str(args[1]) if len(args) > 1 else ""  # after the eval context
    rest = tuple(str(a) for a in args[2:4]) + tuple(args[4:])
    return _method_size(text, "replace", rest, kwargs), "the replace filter"


def _check_format(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    text = str(args[0]) if args else ""
    return _printf_size(text, kwargs or args[1:]), "the format filter"


def _check_wordwrap(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    text = str(args[1]) if len(args) > 1 else ""  # after the environment
    wrap = args[4] if len(args) > 4 else kwargs.get("wrapstring")
    return len(text) * (1 + _length(wrap)), "the wordwrap filter"


def _check_tojson(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    indent = args[2] if len(args) > 2 else kwargs.get("indent")
    if isinstance(indent, int) and indent > _MAX_JSON_INDENT:
        return 2**62, f"the tojson filter with indent={indent:,}"
    return 0, "the tojson filter"


def _check_join(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str]:
    items = args[1] if len(args) > 1 else []  # after the eval context, made a list below
    sep = args[2] if len(args) > 2 else kwargs.get("d", "")
    return _method_size(str(sep), "join", (items,), {}), "the join filter"


_FILTER_CHECKS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], tuple[int, str]]] = {
    "center": _check_center,
    "indent": _check_indent,
    "replace": _check_replace,
    "format": _check_format,
    "wordwrap": _check_wordwrap,
    "tojson": _check_tojson,
    "join": _check_join,
}


def _checked_filter(
    env: TemplateSandbox,
    original: Callable[..., Any],
    check: Callable[[tuple[Any, ...], dict[str, Any]], tuple[int, str]],
) -> Callable[..., Any]:
    """Wrap a Jinja2 filter so that it refuses a result over the size cap before making it."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        if check is _check_join and len(args) > 1:
            args = (args[0], list(args[1]), *args[2:])  # a generator is read once, here
        size, what = check(args, kwargs)
        env.refuse_size(size, what)
        return original(*args, **kwargs)

    return functools.update_wrapper(checked, original)  # keeps Jinja2's pass_* marker


class _BoundedConcat(CodeGenerator):
    """Compiles `~` to `environment.bounded_concat`, which checks the size before joining."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.volatile"
        else:
            markup = "True" if frame.eval_ctx.autoescape else "False"
        self.write(f"environment.bounded_concat({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


ENVIRONMENT: type[jinja2.Environment] = TemplateSandbox
# Bump when the sandbox compiles templates differently (compiled code is cached by it).
SANDBOX_REVISION = 2
ROOTS = ("spec", "vars", "project")
# Bump when `analyse` changes what it finds: cached analyses are keyed with it.
ANALYSIS_REVISION = 3
# Analyses a long-lived Library keeps in memory before it starts over (`skillforge watch`).
MAX_ANALYSES = 256


def env_fingerprint() -> str:
    """Digest of everything besides a template's source that changes its compiled code."""
    return digest_value(
        "env",
        __version__,
        jinja2.__version__,
        sys.version,
        ENVIRONMENT.__qualname__,
        SANDBOX_REVISION,
        sorted(ENV_OPTIONS.items()),
    )


def environment_digest() -> str:
    """Digest of skillforge, Jinja2, PyYAML and Python versions (a change rebuilds all)."""
    return digest_value(
        __version__, jinja2.__version__, yaml.__version__, sys.version, ENVIRONMENT.__qualname__
    )


def environment_files() -> dict[str, list[int]]:
    """Stats of the library files the fast path checks instead of importing the libraries."""
    found: dict[str, list[int]] = {}
    for module in (jinja2, yaml):
        path = module.__file__
        if path:
            st = os.stat(path)
            found[path] = [st.st_mtime_ns, st.st_size]
    return found


def fragment_template(name: str) -> str:
    """Return the template name of the fragment called `name`."""
    return f"fragments/{name}.md.j2"


@dataclass
class Counters:
    """Hits and misses of each cache layer in one build (`build --json`, `stats`)."""

    templates_compiled: int = 0
    templates_cached: int = 0
    fragments_rendered: int = 0
    fragments_cached: int = 0
    sections_rendered: int = 0
    sections_cached: int = 0
    documents_rendered: int = 0
    documents_cached: int = 0
    strings_rendered: int = 0  # Jinja in string fields (strings.py)
    strings_cached: int = 0
    template_times: dict[str, list[float]] = field(default_factory=dict)
    # a short digest of each render's output, in the order of `template_times` (for `stats`:
    # renders that repeat an output are what a cache could have served)
    template_outputs: dict[str, list[str]] = field(default_factory=dict)

    def add(self, other: Counters) -> None:
        for name in (
            "templates_compiled",
            "templates_cached",
            "fragments_rendered",
            "fragments_cached",
            "sections_rendered",
            "sections_cached",
            "documents_rendered",
            "documents_cached",
            "strings_rendered",
            "strings_cached",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, times in other.template_times.items():
            self.template_times.setdefault(name, []).extend(times)
        for name, outputs in other.template_outputs.items():
            self.template_outputs.setdefault(name, []).extend(outputs)

    def take(self) -> Counters:
        """Return a copy of the counters and reset them to zero (in place)."""
        copy = Counters()
        copy.add(self)
        for name, value in vars(self).items():
            if isinstance(value, int):
                setattr(self, name, 0)
        self.template_times = {}
        self.template_outputs = {}
        return copy

    def as_dict(self) -> dict[str, int]:
        """The counters by name (the `build --json` layers read them)."""
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def timed(self, name: str, seconds: float, output: str = "") -> None:
        self.template_times.setdefault(name, []).append(seconds)
        self.template_outputs.setdefault(name, []).append(digest_bytes(output.encode("utf-8"))[:16])


def inside(path: str, root: str) -> bool:
    """True when `path`, with every symlink resolved, is under `root` (resolved too)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


class TemplateUnreadable(jinja2.TemplateNotFound):
    """A template that is there but cannot be used: unreadable, not UTF-8, or over the cap."""


def template_problem(file_id: str, size: int, max_bytes: int) -> str | None:
    """Why a template file of `size` bytes cannot be loaded, or None when it can."""
    if size > max_bytes:
        return (
            f"{file_id} is {size:,} bytes, over the {max_bytes:,}-byte limit "
            "([build] max_template_bytes); split it into smaller templates"
        )
    return None


class ProjectLoader(jinja2.BaseLoader):
    """Loads templates by name from the scanned project and built-in folders, nothing else."""

    def __init__(self, inventory: Inventory, max_bytes: int = 2**20) -> None:
        self.inventory = inventory
        self.max_bytes = max_bytes

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        file_id = self.inventory.templates.get(template)
        if file_id is None:
            raise jinja2.TemplateNotFound(template)
        path = self.inventory.path(file_id)
        if not file_id.startswith(BUILTIN) and not inside(path, self.inventory.root):
            # a symlink in a template folder must not read (and publish) a file from elsewhere
            raise jinja2.TemplateNotFound(
                f"{template} ({file_id} resolves outside the project through a symlink)"
            )
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                # an over-size template is refused unread, not rendered (200 MB took 18 s, 1 GB)
                data = b"" if size > self.max_bytes else f.read(self.max_bytes + 1)
        except OSError as exc:
            reason = exc.strerror.lower() if exc.strerror else exc.__class__.__name__
            raise TemplateUnreadable(template, f"{file_id} cannot be read: {reason}") from None
        too_big = template_problem(file_id, max(size, len(data)), self.max_bytes)
        if too_big:
            raise TemplateUnreadable(template, too_big)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateUnreadable(
                template,
                f"{file_id} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8",
            ) from None
        return source, file_id, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.inventory.templates)


class DiskBytecodeCache(BytecodeCache):
    """Jinja2 bytecode in the skillforge cache, keyed by name, source, Jinja2 and options."""

    def __init__(self, store: Store, counters: Counters, fingerprint: str) -> None:
        self.store = store
        self.counters = counters
        self.fingerprint = fingerprint

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        checksum = self.get_source_checksum(source)
        bucket = Bucket(environment, digest_value("bc", name, checksum, self.fingerprint), checksum)
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get("bc:" + bucket.key)
        if isinstance(data, bytes):
            bucket.bytecode_from_string(data)
        if bucket.code is not None:
            self.counters.templates_cached += 1

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.counters.templates_compiled += 1
        self.store.set("bc:" + bucket.key, bucket.bytecode_to_string())


def make_environment(
    inventory: Inventory, store: Store, counters: Counters, max_bytes: int = 2**20
) -> jinja2.Environment:
    """Create the Environment every template of a build is loaded through (sandboxed)."""
    return ENVIRONMENT(
        loader=ProjectLoader(inventory, max_bytes),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=DiskBytecodeCache(store, counters, env_fingerprint()),
        cache_size=-1,
        **ENV_OPTIONS,
    )


@dataclass(frozen=True)
class Analysis:
    """What one template source references: other templates and context fields."""

    deps: tuple[str, ...]
    dynamic: bool
    reach: dict[str, tuple[str, ...] | None]

    def to_json(self) -> list[Any]:
        return [list(self.deps), self.dynamic, {k: v and list(v) for k, v in self.reach.items()}]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Analysis:
        reach = {k: None if v is None else tuple(v) for k, v in raw[2].items()}
        return cls(tuple(raw[0]), bool(raw[1]), reach)


def analyse(env: jinja2.Environment, source: str, name: str | None = None) -> Analysis:
    """Parse `source` and find the templates and context fields it references."""
    tree = env.parse(source, name=name)
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

    def __init__(self, env: jinja2.Environment, inventory: Inventory, store: Store) -> None:
        self.env = env
        self.inventory = inventory
        self.store = store
        self._digests: dict[str, str | None] = {}
        self._analyses: dict[str, Analysis] = {}
        self._closures: dict[str, Closure] = {}

    def digest(self, name: str) -> str | None:
        """Digest of a template's source, None when there is no such template."""
        if name not in self._digests:
            file_id = self.inventory.templates.get(name)
            value = None
            if file_id is not None:
                try:
                    with open(self.inventory.path(file_id), "rb") as f:
                        if os.fstat(f.fileno()).st_size <= self.env.loader.max_bytes:  # type: ignore[union-attr]
                            value = digest_bytes(f.read())
                except OSError:
                    value = None  # the loader says why (`_close` asks it)
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
        key = "an:" + digest_value(__version__, ANALYSIS_REVISION, source)
        if key in self._analyses:
            return self._analyses[key]
        raw = self.store.get(key)
        if raw is not None:
            result = Analysis.from_json(raw)
        else:
            result = analyse(self.env, source, name)
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
        if len(self._analyses) > MAX_ANALYSES:
            self._analyses.clear()

    def analysis(self, name: str) -> Analysis:
        source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        return self.analysis_of_source(source, name)

    def closure(self, name: str) -> Closure:
        """The transitive closure of a template: names, digest, reach."""
        if name not in self._closures:
            self._closures[name] = self._close([name], None)
        return self._closures[name]

    def closure_of_source(self, source: str, label: str) -> Closure:
        """The closure of an inline template (a section body)."""
        return self._close([], (source, label))

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


@dataclass(frozen=True)
class Closure:
    """A template and everything it pulls in, as one digest plus what it can reach."""

    names: tuple[str, ...]
    digest: str
    dynamic: bool
    reach: dict[str, tuple[str, ...] | None]
    missing: tuple[str, ...]

    def deps(self) -> Iterator[str]:
        """Manifest dependency ids of this closure."""
        for name in self.names:
            yield f"T:{name}"
        if self.dynamic:
            yield "T:*"
