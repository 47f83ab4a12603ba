"""Content digests and canonical keys: every cache key and manifest hash is made here."""

from __future__ import annotations

from _thread import get_ident

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # the builtin module: hashlib costs an OpenSSL load the no-op path cannot afford
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

__all__ = ["blake2b", "canonical", "digest_bytes", "digest_value", "from_data", "settle", "to_data"]


def digest_bytes(data: bytes) -> str:
    """Return the hex digest used for every file and key in skillforge."""
    return blake2b(data, digest_size=16).hexdigest()


def digest_file(path: str) -> str | None:
    """Return the digest of a file's bytes, or None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return digest_bytes(f.read())
    except OSError:
        return None


def canonical(value: Any) -> str:
    """Serialise `value` the same way every time (keys in their order, no spaces)."""
    # Keys keep their order: a template that loops over a map's items renders them in that
    # order, so two maps that differ only in key order must not share a cache key.
    if _encode is None:
        _make_encoder()
    if get_ident() != _owner:  # the encoder's marks are one thread's: another makes its own
        return _json_encoder.encode(value)  # type: ignore[no-any-return]
    try:
        return "".join(_encode(value, 0))
    except BaseException:
        _markers.clear()  # a failed encode leaves the containers it was in
        raise


def _make_encoder() -> None:
    """Make the encoder `canonical` calls: what `json.dumps(value, separators=(",", ":"),
    ensure_ascii=False, default=repr)` does, made once (a cold build makes some 20,000 keys,
    and `JSONEncoder.encode` makes its C encoder anew for each)."""
    global _encode, _json_encoder, _owner
    import json.encoder

    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=repr)
    _json_encoder, _owner = encoder, get_ident()
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:  # pragma: no cover - CPython has the C encoder
        _encode = lambda value, _: [encoder.encode(value)]  # noqa: E731
        return
    # (the same arguments `JSONEncoder.iterencode` gives it for a one-shot encode)
    _encode = make(
        _markers,
        encoder.default,
        json.encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        False,
        False,
        True,
    )


_encode: Any = None
_json_encoder: Any = None
_owner = -1
_markers: dict[int, Any] = {}  # the containers being encoded (a value holding itself fails)


def digest_value(*parts: Any) -> str:
    """Return the digest of the canonical form of `parts`."""
    return digest_bytes(canonical(parts).encode("utf-8"))


class Uncacheable(Exception):
    """A value has no canonical form (a macro, a callable, an object): do not cache on it."""


# The tag of a value JSON cannot hold as itself; a map holding this key is tagged too.
TAG = "\x00"
MAX_DEPTH = 100
MAX_ITEMS = 100_000


def to_data(value: Any, depth: int = 0, *, sets: bool = True) -> Any:
    """Return `value` as JSON-ready data that `from_data` turns back into an equal value.

    Only values skillforge knows are encoded; anything else raises Uncacheable (never a
    `repr`, which may hold a memory address or hide what a value does). A map keeps its
    key order; a tuple, a set, a date, bytes and `Markup` keep their type. Without `sets`, a
    set is refused: its order changes from one process to the next, so it makes no key.
    """
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        finite = value == value and value not in (_INF, -_INF)
        return value if finite else {TAG: "f", "v": repr(value)}
    if depth > MAX_DEPTH:
        raise Uncacheable(f"nested more than {MAX_DEPTH} levels deep")

    def inner(item: Any) -> Any:
        return to_data(item, depth + 1, sets=sets)

    if kind is list:
        if all(type(item) in _PLAIN for item in value):
            return list(value)  # what the comprehension below makes of plain items
        return [inner(item) for item in value]
    if kind is dict:
        if all(type(k) is str for k in value) and TAG not in value:
            if all(type(v) in _PLAIN for v in value.values()):
                return dict(value)
            return {k: inner(v) for k, v in value.items()}
        return {TAG: "d", "v": [[inner(k), inner(v)] for k, v in value.items()]}
    if kind is tuple:
        return {TAG: "t", "v": [inner(item) for item in value]}
    if (kind is set or kind is frozenset) and sets:
        return {TAG: "s" if kind is set else "fs", "v": [inner(item) for item in value]}
    if kind is bytes:
        return {TAG: "b", "v": value.hex()}
    import datetime

    if kind is datetime.datetime or kind is datetime.date or kind is datetime.time:
        return {TAG: kind.__name__, "v": value.isoformat()}
    from markupsafe import Markup

    if kind is Markup:
        return {TAG: "m", "v": str(value)}
    raise Uncacheable(_describe(value))


def from_data(data: Any) -> Any:
    """Return the value `to_data` encoded as `data`."""
    if type(data) is list:
        return [from_data(item) for item in data]
    if type(data) is not dict:
        return data
    tag = data.get(TAG)
    if tag is None:
        return {k: from_data(v) for k, v in data.items()}
    raw = data["v"]
    if tag == "d":
        return {from_data(k): from_data(v) for k, v in raw}
    if tag == "t":
        return tuple(from_data(item) for item in raw)
    if tag == "s":
        return {from_data(item) for item in raw}
    if tag == "fs":
        return frozenset(from_data(item) for item in raw)
    if tag == "f":
        return float(raw)
    if tag == "b":
        return bytes.fromhex(raw)
    import datetime

    if tag in ("datetime", "date", "time"):
        return getattr(datetime, tag).fromisoformat(raw)
    if tag == "m":
        from markupsafe import Markup

        return Markup(raw)
    raise ValueError(f"unknown tag {tag!r}")


_INF = float("inf")
# The types `to_data` returns as they are (a float may be NaN or infinite: it is tagged).
_PLAIN = frozenset([str, int, bool, type(None)])
_LAZY = frozenset(
    [map, filter, zip, enumerate, reversed]
    + [type(iter(x)) for x in ([], (), "", range(0), {}, reversed([]))]  # type: ignore[var-annotated]
)


def settle(args: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Return `args` with every generator made a list, and why it makes no key (or None).

    A generator (`|map`, `|select`, `|unique`...) has no value until it runs, and its repr
    names a memory address that the next one may reuse: it is run once, here, and the
    fragment gets the list, cached or not (so a cached and a fresh render see the same).
    """
    settled = {name: _settle(value, 0) for name, value in args.items()}
    for name, value in settled.items():
        try:
            to_data(value, sets=False)
        except Uncacheable as exc:
            return settled, f"argument {name} is {exc}"
        except RecursionError:
            return settled, f"argument {name} is nested too deeply"
    return settled, None


def _settle(value: Any, depth: int) -> Any:
    kind = type(value)
    if depth > MAX_DEPTH:
        return value  # to_data refuses it
    if kind in _LAZY or kind.__name__ == "generator":
        import itertools

        items = list(itertools.islice(value, MAX_ITEMS + 1))
        if len(items) > MAX_ITEMS:
            return itertools.chain(items, value)  # too long to key: to_data refuses it
        return [_settle(item, depth + 1) for item in items]
    if kind is list:
        new = [_settle(item, depth + 1) for item in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    if kind is tuple:
        members = tuple(_settle(item, depth + 1) for item in value)
        return value if all(a is b for a, b in zip(members, value, strict=True)) else members
    if kind is dict:
        pairs = {k: _settle(v, depth + 1) for k, v in value.items()}
        return value if all(pairs[k] is v for k, v in value.items()) else pairs
    return value


def _describe(value: Any) -> str:
    """Say what a value is, in a template author's words."""
    name = type(value).__name__
    if name == "Macro":
        return "a macro"
    if "Undefined" in name:
        return "undefined"
    if callable(value):
        return "a function"
    return f"a {name} object"
