"""The layout of the build records as `state/buildlog.py` writes them, checked as they are
read: damaged bytes can decode to anything, and `stats` prints what it finds. Standard
library only (the no-op path imports the build records' module).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# the format of the build records (`records.bin`, `outputs.bin`)
FORMAT = 1
# layer -> (hit counter, miss counter) in `Counters` / `BuildReport.counters`
LAYERS = {
    "templates": ("templates_cached", "templates_compiled"),
    "fragments": ("fragments_cached", "fragments_rendered"),
    "sections": ("sections_cached", "sections_rendered"),
    "documents": ("documents_cached", "documents_rendered"),
}

# OutputCost.to_raw (engine/costs.py), field by field; the first 8 are required (the rest
# have defaults)
_COST_FIELDS: tuple[tuple[type, ...], ...] = (
    (str,),
    (str,),
    (str,),
    (int,),
    (int,),
    (int,),
    (int,),
    (int,),
    (str,),
    (int, type(None)),
    (int,),
    (int,),
    (int,),
    (str,),
)
_COST_REQUIRED = 8
_OUTPUT_KEYS = {"written", "unchanged", "removed", "files_written"}
_LATEST = 32503680000.0  # the year 3000: time.localtime fails far beyond


# not `math.isfinite`: the no-op path imports this module, and `math` is one more load
_INF = float("inf")


def _number(value: object) -> bool:
    """A finite int or float (NaN compares false, so it is refused too)."""
    return isinstance(value, (int, float)) and -_INF < value < _INF


def _when(value: object) -> bool:
    return _number(value) and 0 <= value <= _LATEST  # type: ignore[operator]


def _is_map(value: object, valid: Callable[[Any], bool]) -> bool:
    """Tell whether `value` is a dict of str keys whose values all pass `valid`."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and valid(v) for k, v in value.items()
    )


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)


def _layers(value: object) -> bool:
    return isinstance(value, dict) and set(value) == set(LAYERS) and all(map(_pair, value.values()))


def _template_row(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and isinstance(value[0], int)
        and isinstance(value[3], int)
        and _number(value[1])
        and _number(value[2])
    )


def _shapes() -> frozenset[tuple[type, ...]]:
    """Every valid row as the tuple of its values' exact types (a bool is no int here)."""
    shapes: list[tuple[type, ...]] = [()]
    found: set[tuple[type, ...]] = set()
    for i, types in enumerate(_COST_FIELDS):
        shapes = [(*shape, t) for shape in shapes for t in types]
        if i + 1 >= _COST_REQUIRED:
            found.update(shapes)
    return frozenset(found)


# Rows are checked by shape, one set lookup each: `stats` and every build read 1,000s of them.
_COST_SHAPES = _shapes()


def valid_costs(raw: object) -> bool:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return False
    rows = raw.get("outputs")
    if not isinstance(rows, dict):
        return False
    # str keys, list values, each row's `tuple(map(type, row))` one of the shapes: with the
    # loops in C (`stats` and every build read 10,000s of rows; marshal makes exact types)
    values = rows.values()
    return (
        set(map(type, rows)) <= _STR
        and set(map(type, values)) <= _LIST
        and set(map(tuple, map(map, [type] * len(rows), values))) <= _COST_SHAPES
    )


_STR: frozenset[type] = frozenset((str,))
_LIST: frozenset[type] = frozenset((list,))


def valid_cost(value: object) -> bool:
    """One row as `valid_costs` checks each (the remote cache's records hold rows too)."""
    # marshal makes values of the exact built-in types, so `type` is `isinstance` here
    return isinstance(value, list) and tuple(map(type, value)) in _COST_SHAPES


def valid_record(value: object) -> bool:
    """Tell whether `value` is a build record as `build_record` or `noop_record` makes it."""
    if not isinstance(value, dict):
        return False
    specs, outputs = value.get("specs"), value.get("outputs")
    return (
        _when(value.get("time"))
        and isinstance(value.get("kind"), str)
        and isinstance(value.get("ok"), bool)
        and _number(value.get("duration_ms"))
        and isinstance(specs, dict)
        and isinstance(specs.get("total"), (int, type(None)))
        and isinstance(specs.get("parsed"), int)
        and _layers(value.get("layers"))
        and _is_map(outputs, lambda v: isinstance(v, int))
        and set(outputs) >= _OUTPUT_KEYS  # type: ignore[arg-type]
        and _is_map(value.get("timings"), _number)
        and _is_map(value.get("templates"), _template_row)
        and isinstance(value.get("errors"), int)
        and isinstance(value.get("warnings"), list)
        and all(isinstance(w, str) for w in value["warnings"])
        and isinstance(value.get("warnings_count"), int)
    )


def _valid_totals(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    since = value.get("since")
    return (
        isinstance(value.get("builds"), int)
        and isinstance(value.get("noops"), int)
        and (since is None or _when(since))
        and _number(value.get("duration_ms"))
        and _layers(value.get("layers"))
        and _is_map(value.get("outputs"), lambda v: isinstance(v, int))
        and isinstance(value.get("errors"), int)
        and isinstance(value.get("warnings"), int)
    )


def valid_history(raw: object) -> bool:
    """Tell whether `raw` is `History.to_raw`'s layout, down to the values `stats` prints."""
    return (
        isinstance(raw, dict)
        and raw.get("format") == FORMAT
        and isinstance(raw.get("records"), list)
        and all(map(valid_record, raw["records"]))
        and _valid_totals(raw.get("totals"))
        and _is_map(raw.get("templates"), _template_row)
    )
