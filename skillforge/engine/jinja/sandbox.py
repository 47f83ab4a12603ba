"""The sandbox every template renders in: Jinja2's, plus bounds on string and number bombs.

`'x' * 10**9`, `2 ** 10**9`, `"%999999999s"`, `center(10**9)`, huge `range()`s: each is
refused before it allocates, with the size it would have made; concatenation is bounded too.
The time limit of a render is `limits.py`'s.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import do_format
from jinja2.runtime import LoopContext, markup_join
from jinja2.sandbox import SandboxedEnvironment, _mutable_spec, modifies_known_mutable

from skillforge.engine.jinja.codegen import DICT_NAMES as _DICT_NAMES
from skillforge.engine.jinja.codegen import BoundedConcat as _BoundedConcat
from skillforge.engine.jinja.limits import DEFAULT_MAX_SIZE
from skillforge.engine.jinja.templating import ENV_OPTIONS, SANDBOX_REVISION

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
_SEQUENCES = (tuple, list)  # not `tuple | list`, which makes a union at every call
_KEPT_TREES = 64
# The properties of a loop's `loop` variable (Jinja2's LoopContext).
_LOOP_NAMES = frozenset(
    [
        *("index", "index0", "revindex", "revindex0", "first", "last", "length"),
        *("depth", "depth0", "previtem", "nextitem"),
    ]
)


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
    fixed, conversions, stars = _printf_shape(fmt) if len(fmt) <= _SHAPED else _shape(fmt)
    if not conversions:
        return fixed
    items = list(values.values()) if isinstance(values, dict) else values
    items = items if isinstance(items, _SEQUENCES) else (items,)
    longest = 0  # a loop, not max() over a generator: `"%05d" | format(i)` runs per line
    for v in items:
        if isinstance(v, str) and len(v) > longest:
            longest = len(v)
    widest = max((_number(v) for v in items), default=0) if stars else 0
    return fixed + stars * widest + conversions * longest


def _shape(fmt: str) -> tuple[int, int, int]:
    """A printf format's length plus its literal widths, its conversions and its `*` widths."""
    fixed, conversions, stars = len(fmt), 0, 0
    for match in _PRINTF.finditer(fmt):
        conversions += 1
        for part in match.groups():
            if part == "*":
                stars += 1
            elif part:
                fixed += int(part)
    return fixed, conversions, stars


# Formats up to this long are parsed once per process: a loop formats with the same one.
_SHAPED = 200
_printf_shape = functools.lru_cache(maxsize=256)(_shape)


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
    # the one global callable of skillforge's own (`fragment`, set by RenderContext.env)
    direct_call: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_generator_class = _BoundedConcat
        self._trees: dict[str, nodes.Template] = {}
        for name, check in _FILTER_CHECKS.items():
            original = self.filters[name]
            self.filters[name] = (
                _checked_format(self, original)  # the same check, by a wrapper of its own
                if check is _check_format
                else _checked_filter(self, original, check)
            )

    def keep_tree(self, source: str, tree: nodes.Template) -> None:
        """Keep the tree the analysis parsed, for the compile of the same source (once).

        A template is analysed and then, on a cache miss, compiled: without this, its source
        is parsed twice. The tree is handed out once (compiling rewrites it); the last
        `_KEPT_TREES` are kept (a source whose bytecode is cached is never compiled).
        """
        if len(self._trees) >= _KEPT_TREES:
            self._trees.pop(next(iter(self._trees)))
        self._trees[source] = tree

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = self._trees.pop(source, None)
        return tree if tree is not None else super()._parse(source, name, filename)

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
        if type(obj) is dict and attribute not in _DICT_NAMES:
            # `spec.name`, `vars.topic`: a dict has no such attribute, so Jinja's sandbox gives
            # the item, unchecked; taken here without the AttributeError it raises first
            try:
                return obj[attribute]
            except KeyError:
                pass
        if type(obj) is LoopContext and attribute in _LOOP_NAMES:
            # `loop.index` in a loop: a property Jinja's sandbox allows, and gives as it is
            return getattr(obj, attribute)
        return self._bounded(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(argument) is int and type(obj) is list:
            try:  # `rules[i]` in a loop: what Jinja's sandbox does first, and all it does
                return obj[argument]
            except IndexError:
                pass
        value = super().getitem(obj, argument)
        return self._bounded(obj, argument, value) if isinstance(argument, str) else value

    def _bounded(self, obj: Any, name: str, value: Any) -> Any:
        if not (name in _GROWING and isinstance(obj, str) and callable(value)):
            return value

        def bounded(*args: Any, **kwargs: Any) -> Any:
            if name == "join" and args:
                args = (list(args[0]), *args[1:])
            self.refuse_size(_method_size(obj, name, args, kwargs), f"str.{name}()")
            return value(*args, **kwargs)

        return functools.update_wrapper(bounded, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if type(left) is int and type(right) is int and operator != "**":
            # `i + 1`, `i % n` in a loop: nothing below checks two ints but `**`
            return self.binop_table[operator](left, right)
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

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if obj is self.direct_call:
            # skillforge's own `fragment`: what Jinja2's sandbox and `Context.call` do for a
            # safe callable with no `pass_*` marker, without their inspection of it
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return obj(*args, **kwargs)
            except StopIteration:
                return context.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(context, obj, *args, **kwargs)

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


def _checked_format(env: TemplateSandbox, original: Callable[..., Any]) -> Callable[..., Any]:
    """The format filter, checked as `_checked_filter` checks it with `_check_format`, without
    the generic wrapper's steps (a loop formats a number per line)."""

    plain = original is do_format

    def checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 2 and type(args[0]) is str and type(args[1]) is int and not kwargs:
            # `"%05d" | format(i)`: no text among the values, so `_printf_size` is the
            # format's own length and widths (with no `*` width to take from the number)
            fmt = args[0]
            fixed, _, stars = _printf_shape(fmt) if len(fmt) <= _SHAPED else _shape(fmt)
            size = _printf_size(fmt, args[1:]) if stars else fixed
            if size > env.max_size:
                env.refuse_size(size, "the format filter")
            # what do_format returns for a str and positional values
            return fmt % args[1:] if plain else original(*args, **kwargs)
        size = _printf_size(str(args[0]), kwargs or args[1:]) if args else 0
        if size > env.max_size:  # refuse_size's test, without its call when it passes
            env.refuse_size(size, "the format filter")
        return original(*args, **kwargs)

    return functools.update_wrapper(checked, original)


ENVIRONMENT: type[jinja2.Environment] = TemplateSandbox
__all__ = ["ENVIRONMENT", "ENV_OPTIONS", "SANDBOX_REVISION", "TemplateSandbox"]
