"""Build records for `skillforge stats` (DESIGN §5, §6): what each build did, kept on disk.

Under `<cache folder>/stats/`:

- `records.bin` — the last `[cache] records` build records (default `KEEP`), all-time totals
  and all-time render times per template (marshal, written atomically after each full build);
- `outputs.bin` — the cost of every generated document (token estimates, body lines, listing
  entry), updated with the specs each build renders;
- `noops.log` — one short line per no-op build. The fast path appends it with one `write`
  (no read, no parse, no rename: tens of microseconds) so that all-time hit ratios count
  no-op builds too; the next full build folds the lines into `records.bin`.

The file formats only, read and written as plain data (standard library only: the fast path
imports `note_noop` from here). What goes into a record and the verdict on the skill listing
are the engine's (`engine/record.py`, `engine/budgets.py`).
"""

from __future__ import annotations

import marshal
import os
import time

from skillforge.state.files import unlink_quietly, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

STATS_FOLDER = "stats"
RECORDS_NAME = "records.bin"
OUTPUTS_NAME = "outputs.bin"
NOOPS_NAME = "noops.log"
# Present while the skill listing fails a strict budget: the no-op path then hands over to a
# full build, which judges the listing again (and fails again until it is fixed).
LISTING_FAILED_NAME = "listing.failed"
FORMAT = 1
KEEP = 50
# No-op lines kept before a full build folds them (about 40 bytes each): a project that only
# ever runs no-op builds stops counting them there instead of growing a file forever.
MAX_NOOP_LOG = 1 << 20
# layer -> (hit counter, miss counter) in `Counters` / `BuildReport.counters`
LAYERS = {
    "templates": ("templates_cached", "templates_compiled"),
    "fragments": ("fragments_cached", "fragments_rendered"),
    "sections": ("sections_cached", "sections_rendered"),
    "documents": ("documents_cached", "documents_rendered"),
}
INLINE = "(inline section bodies)"
WARNINGS_KEPT = 20


def stats_folder(cache_dir: str) -> str:
    return os.path.join(cache_dir, STATS_FOLDER)


def listing_failed(cache_dir: str) -> bool:
    """Did the last build fail on the skill listing (a strict budget)? One stat."""
    return os.path.exists(os.path.join(cache_dir, STATS_FOLDER, LISTING_FAILED_NAME))


def note_noop(
    cache_dir: str, specs: int, documents: int, duration_ms: float, errors: int = 0
) -> None:
    """Append a no-op build to the log (the fast path's only write; never raises).

    `errors`: the recorded errors it reported again (failed specs it did not parse).
    """
    path = os.path.join(cache_dir, STATS_FOLDER, NOOPS_NAME)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return  # no stats folder yet (no full build recorded): nothing to add to
    try:
        if os.fstat(fd).st_size < MAX_NOOP_LOG:
            line = f"{time.time():.3f} {documents} {duration_ms:.2f} {specs}"
            line += f" {errors}\n" if errors else "\n"
            os.write(fd, line.encode())
    except OSError:
        pass
    finally:
        os.close(fd)


# -- records ------------------------------------------------------------------------------


def noop_record(
    when: float, documents: int, duration_ms: float, specs: int | None = None, errors: int = 0
) -> dict[str, Any]:
    """The record of a no-op build: one documents hit per up-to-date output (DESIGN §6)."""
    layers = {layer: [0, 0] for layer in LAYERS}
    layers["documents"] = [documents, 0]
    return {
        "time": when,
        "kind": "noop",
        "ok": not errors,
        "duration_ms": duration_ms,
        "specs": {"total": specs, "parsed": 0},
        "layers": layers,
        "outputs": {"written": 0, "unchanged": documents, "removed": 0, "files_written": 0},
        "timings": {"total_ms": duration_ms},
        "templates": {},
        "errors": errors,
        "warnings": [],
        "warnings_count": 0,
    }


class History:
    """The kept records, all-time totals and all-time template times of a project."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.records: list[dict[str, Any]] = []
        self.totals: dict[str, Any] = empty_totals()
        self.templates: dict[str, list[Any]] = {}

    def add(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        del self.records[: -self.keep]
        totals = self.totals
        totals["noops" if record["kind"] == "noop" else "builds"] += 1
        totals["since"] = totals["since"] or record["time"]
        totals["duration_ms"] = round(totals["duration_ms"] + record["duration_ms"], 2)
        for layer, (hits, misses) in record["layers"].items():
            totals["layers"][layer][0] += hits
            totals["layers"][layer][1] += misses
        for key, value in record["outputs"].items():
            totals["outputs"][key] = totals["outputs"].get(key, 0) + value
        totals["errors"] += record["errors"]
        totals["warnings"] += record["warnings_count"]
        for label, (count, total, peak, repeats) in record["templates"].items():
            known = self.templates.setdefault(label, [0, 0.0, 0.0, 0])
            known[0] += count
            known[1] = round(known[1] + total, 3)
            known[2] = max(known[2], peak)
            known[3] += repeats

    def to_raw(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "records": self.records,
            "totals": self.totals,
            "templates": self.templates,
        }

    @classmethod
    def load(
        cls,
        cache_dir: str,
        *,
        keep: int = KEEP,
        fold: bool = True,
        damaged: list[str] | None = None,
    ) -> History:
        """Read the records (a missing or damaged file is an empty history) and the no-ops.

        The path of a file that is there but not in the layout written here is added to
        `damaged`, for the caller to warn about: records are statistics, not build state.
        """
        history = cls(keep)
        path = os.path.join(stats_folder(cache_dir), RECORDS_NAME)
        raw, valid = _read_checked(path, _valid_history)
        if valid:
            history.records = raw["records"][-keep:]
            history.totals = raw["totals"]
            history.templates = raw["templates"]
        elif damaged is not None and (raw is not None or os.path.lexists(path)):
            damaged.append(path)
        if fold:
            for record in read_noops(os.path.join(stats_folder(cache_dir), NOOPS_NAME)):
                history.add(record)
        return history

    def save(self, cache_dir: str) -> None:
        _write(os.path.join(stats_folder(cache_dir), RECORDS_NAME), self.to_raw())


def empty_totals() -> dict[str, Any]:
    return {
        "builds": 0,
        "noops": 0,
        "since": None,
        "duration_ms": 0.0,
        "layers": {layer: [0, 0] for layer in LAYERS},
        "outputs": {},
        "errors": 0,
        "warnings": 0,
    }


def read_noops(path: str) -> list[dict[str, Any]]:
    """The no-op builds appended since the last full build (a torn line is skipped)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split()
        try:
            specs = int(parts[3]) if len(parts) > 3 else None
            errors = int(parts[4]) if len(parts) > 4 else 0
            record = noop_record(float(parts[0]), int(parts[1]), float(parts[2]), specs, errors)
        except (IndexError, ValueError):
            continue
        if _valid_record(record):  # damaged digits can still parse: "nan", "1e999"
            found.append(record)
    return found


# -- output costs -------------------------------------------------------------------------


def read_cost_rows(cache_dir: str, damaged: list[str] | None = None) -> dict[str, Any]:
    """The rows of `outputs.bin` by output path ({} when missing, damaged or foreign).

    A file in another layout is an empty table (rebuilt as specs render again); its path is
    added to `damaged`.
    """
    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    raw, valid = _read_checked(path, _valid_costs)
    if not valid:
        if damaged is not None and (raw is not None or os.path.lexists(path)):
            damaged.append(path)
        return {}
    rows: dict[str, Any] = raw["outputs"]
    return rows


def damaged_message(read_only: bool) -> str:
    """Say what a warning about a damaged build-records file says."""
    then = "the next build starts them afresh" if read_only else "starting them afresh"
    return f"build records damaged (not the layout skillforge writes); ignored, {then}"


def write_cost_rows(cache_dir: str, rows: dict[str, Any]) -> None:
    """Replace `outputs.bin` with `rows` (by output path)."""
    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    _write(path, {"format": FORMAT, "outputs": dict(sorted(rows.items()))})


# -- the files a full build updates --------------------------------------------------------


def mark_listing(cache_dir: str, failing: bool) -> None:
    """Create `listing.failed` while the listing fails a strict budget, else remove it."""
    folder = stats_folder(cache_dir)
    marker = os.path.join(folder, LISTING_FAILED_NAME)
    if failing:
        os.makedirs(folder, exist_ok=True)
        with open(marker, "wb"):
            pass
    else:
        unlink_quietly(marker)


def take_noops(cache_dir: str) -> str:
    """Move the no-op log aside for folding and return its new path ('' when there is none).

    No-op builds from now on start a new log; remove the returned file once folded.
    """
    noops = os.path.join(stats_folder(cache_dir), NOOPS_NAME)
    folding = f"{noops}.{os.getpid()}.fold"
    try:
        os.replace(noops, folding)
    except OSError:
        return ""
    return folding


def _read_checked(path: str, valid: Callable[[Any], bool]) -> tuple[Any, bool]:
    """The file's value and whether it has the layout `valid` checks. Bytes found valid
    before (by this process: `watch` reads both files at every rebuild) are not checked
    field by field again: the check depends on nothing but them."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        raw = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None, False
    if _CHECKED.get(path) == data:
        return raw, True
    if not valid(raw):
        return raw, False
    if len(_CHECKED) >= 8:
        _CHECKED.clear()
    _CHECKED[path] = data
    return raw, True


# path -> the bytes last found in the layout there (two files a build; a few per process)
_CHECKED: dict[str, bytes] = {}


def _write(path: str, value: Any) -> None:
    """Write atomically; stats that cannot be written only cost the stats, never the build."""
    # not contextlib.suppress: the no-op path imports this, and contextlib loads collections
    try:  # noqa: SIM105
        write_atomic(path, marshal.dumps(value))
    except (OSError, ValueError):
        pass


# -- the layout of what is read: damaged bytes can decode to anything -----------------------

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


def _valid_costs(raw: object) -> bool:
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


def _valid_cost(value: object) -> bool:
    """One row as `_valid_costs` checks each (the remote cache's records hold rows too)."""
    # marshal makes values of the exact built-in types, so `type` is `isinstance` here
    return isinstance(value, list) and tuple(map(type, value)) in _COST_SHAPES


def _valid_record(value: object) -> bool:
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


def _valid_history(raw: object) -> bool:
    """Tell whether `raw` is `History.to_raw`'s layout, down to the values `stats` prints."""
    return (
        isinstance(raw, dict)
        and raw.get("format") == FORMAT
        and isinstance(raw.get("records"), list)
        and all(map(_valid_record, raw["records"]))
        and _valid_totals(raw.get("totals"))
        and _is_map(raw.get("templates"), _template_row)
    )
