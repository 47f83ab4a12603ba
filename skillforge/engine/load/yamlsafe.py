"""Load untrusted YAML safely: line numbers, no duplicate keys, no bombs, PyYAML when needed.

The plain YAML specs are written in is read by `yamlfast`, with no PyYAML import (a tenth of
a one-section edit, `datetime` included); whatever it declines, and every invalid document,
goes to `yamlfull`: LibYAML's safe loader, values built from its node tree so that every key
keeps its line, duplicate keys are errors and an alias bomb hits a node budget. Every error
comes from there.
"""

from __future__ import annotations

from skillforge.engine.load import yamlfast
from skillforge.engine.load.yamlfast import Lines
from skillforge.errors import SpecError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Lines", "load_yaml"]

# Above these, nesting is checked before composing (`yamlfull.check_depth`).
_DEEP_BRACKETS = 2_000
_DEEP_SIZE = 1_000_000

# The values of plain scalars that may not be strings (those whose first character one of
# the resolvers looks at), as the loader builds them, or `yamlfast.DECLINE`; a pure memo.
_PLAIN: dict[str, Any] = {}
_PLAIN_MAX, _PLAIN_LENGTH = 20_000, 64
# The first characters the loader's implicit resolvers look at (PyYAML's YAML 1.1 bool, null,
# int, float, merge, value and its `yaml` type of `!`, `&` and `*`; timestamps are not
# resolved): `tests/test_yamlfast.py` compares them with the loader's own.
_PLAIN_FIRST = frozenset("yYnNtTfFoO~-+0123456789.<=!&*")
# The plain scalars starting with one of these are read by the bool and null resolvers alone,
# whose patterns are these words exactly (PyYAML's resolver.py, YAML 1.1 bool and null
# types); any other such scalar is a string. `tests/test_yamlfast.py` compares with the loader.
_WORD_FIRST = frozenset("yYnNtTfFoO~")
# The float pattern's `.` is followed by a digit (`.5`) or by `inf` or `nan`; `_` in case.
_DOT_FLOAT = frozenset("0123456789_iInN")
_WORDS: dict[str, bool | None] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}


def _plain(value: str) -> Any:
    """What the loader makes of the plain scalar `value` (`yamlfast.DECLINE`: leave it)."""
    result = _PLAIN.get(value, _PLAIN)
    if result is _PLAIN:
        first = value[:1]
        if first in _WORD_FIRST and value[-1] != "\n":  # (`$` matches before a newline)
            result = _WORDS.get(value, value)
        elif first == "." and value[1:2] not in _DOT_FLOAT:  # `../x.yaml`: no float
            result = value
        elif value.isdigit() and value.isascii() and (first != "0" or value == "0"):
            result = int(value)  # a decimal int (`0…` is octal in YAML 1.1: the loader's)
        else:
            from skillforge.engine.load.yamlfull import resolve_plain

            result = resolve_plain(value)
        if len(value) <= _PLAIN_LENGTH and len(_PLAIN) < _PLAIN_MAX:
            _PLAIN[value] = result
    return result


def load_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """Parse one YAML document; return its value and a map of key paths to line numbers.

    The plain YAML that specs are written in is read by `yamlfast`; whatever it declines
    (anything else, and every invalid document) by the loader, which also makes every error.
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SpecError.one(file, line, None, "contains NUL bytes; is this a binary file?")
    deep = len(text) > _DEEP_SIZE or text.count("[") + text.count("{") > _DEEP_BRACKETS
    if not deep:
        fast = yamlfast.parse(text, _plain, _PLAIN, _PLAIN_FIRST)
        if fast is not None:
            return fast  # type: ignore[no-any-return]
    from skillforge.engine.load.yamlfull import load_full

    return load_full(text, file, deep)
