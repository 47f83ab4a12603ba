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
import zlib

from skillforge.state.files import unlink_quietly, write_atomic
from skillforge.state.heap import NoCycles
from skillforge.state.layout import FORMAT as FORMAT
from skillforge.state.layout import LAYERS as LAYERS
from skillforge.state.layout import valid_costs, valid_history, valid_record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

STATS_FOLDER = "stats"
RECORDS_NAME = "records.bin"
OUTPUTS_NAME = "outputs.bin"
# `outputs.bin`'s layout: 3, the bytes of each row on their own, all with their CRC-32 (an edit
# of one spec among 10,000 decodes the rows it touches: issue 17); 2, the rows as bytes with
# their CRC-32 (checked in one pass over their bytes, not field by field); 1 (`FORMAT`), the
# rows themselves
COSTS_FORMAT = 3
_SEALED = (2, 3)  # the layouts sealed with their CRC-32 (2 is read, and written again as 3)
NOOPS_NAME = "noops.log"
# Present while the skill listing fails a strict budget: the no-op path then hands over to a
# full build, which judges the listing again (and fails again until it is fixed).
LISTING_FAILED_NAME = "listing.failed"
KEEP = 50
# No-op lines kept before a full build folds them (about 40 bytes each): a project that only
# ever runs no-op builds stops counting them there instead of growing a file forever.
MAX_NOOP_LOG = 1 << 20
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
        raw, valid = _read_checked(path, valid_history)
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
        if valid_record(record):  # damaged digits can still parse: "nan", "1e999"
            found.append(record)
    return found


# -- output costs -------------------------------------------------------------------------


class CostRows:
    """The rows of `outputs.bin` by output path, each decoded when first read (`get`): a
    build reads the rows of the outputs it rendered, not 10,000. A table as a build changes
    it: rows set and removed by path, written back with the bytes of the others as read."""

    __slots__ = ("_packed", "_rows")

    def __init__(self, packed: dict[str, Any]) -> None:
        self._packed = packed  # path -> the row's bytes (as read), or the row
        self._rows: dict[str, Any] = {}  # the rows decoded

    def get(self, path: str, default: Any = None) -> Any:
        row = self._rows.get(path)
        if row is None:
            raw = self._packed.get(path)
            if raw is None:
                return default
            row = self._rows[path] = marshal.loads(raw) if type(raw) is bytes else raw
        return row

    def __len__(self) -> int:
        return len(self._packed)

    def keys(self) -> Any:
        return self._packed.keys()

    def items(self) -> Any:
        return {path: self.get(path) for path in self._packed}.items()

    def copy(self) -> CostRows:
        copied = CostRows(dict(self._packed))
        copied._rows = dict(self._rows)
        return copied

    def __setitem__(self, path: str, row: Any) -> None:
        self._packed[path] = self._rows[path] = row

    def __delitem__(self, path: str) -> None:
        del self._packed[path]
        self._rows.pop(path, None)

    def packed(self) -> dict[str, bytes]:
        """Each row's bytes, by path, in sorted order (those read kept as they were)."""
        return {
            p: v if type(v) is bytes else marshal.dumps(v) for p, v in sorted(self._packed.items())
        }


def read_cost_rows(
    cache_dir: str, damaged: list[str] | None = None, earlier: list[str] | None = None
) -> dict[str, Any]:
    """The rows of `outputs.bin` by output path ({} when missing, damaged or foreign).

    A file in another layout is an empty table (rebuilt as specs render again); its path is
    added to `damaged`. A file in the layout of format 1 or 2 is read (format 1's checked
    field by field) and its path added to `earlier`: written again, it is read the short way.
    """
    return dict(read_cost_table(cache_dir, damaged, earlier).items())


def read_cost_table(
    cache_dir: str, damaged: list[str] | None = None, earlier: list[str] | None = None
) -> CostRows:
    """`read_cost_rows`, each row decoded when first read."""
    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    raw, valid = _read_checked(path, _valid_sealed_costs)
    if valid and raw.get("format") in _SEALED:
        try:
            with NoCycles():
                rows: dict[str, Any] = marshal.loads(raw["rows"])
            valid = isinstance(rows, dict) and (
                raw["format"] != COSTS_FORMAT or set(map(type, rows.values())) <= {bytes}
            )
        except (EOFError, ValueError, TypeError):
            valid = False
        if valid:
            if raw["format"] != COSTS_FORMAT and earlier is not None:
                earlier.append(path)
            return CostRows(rows)
    elif valid:  # written by an earlier version: checked field by field
        found: dict[str, Any] = raw["outputs"]
        if earlier is not None:
            earlier.append(path)
        return CostRows(found)
    if damaged is not None and (raw is not None or os.path.lexists(path)):
        damaged.append(path)
    return CostRows({})


def _valid_sealed_costs(raw: object) -> bool:
    """`outputs.bin` as `write_cost_rows` writes it (its rows' bytes and their CRC-32: the
    rows skillforge wrote, every one made in the layout `valid_cost` checks), or in the
    layout of format 1, checked field by field (`valid_costs`)."""
    if isinstance(raw, dict) and raw.get("format") in _SEALED:
        rows = raw.get("rows")
        return isinstance(rows, bytes) and zlib.crc32(rows) == raw.get("crc") and len(raw) == 3
    return valid_costs(raw)


def damaged_message(read_only: bool) -> str:
    """Say what a warning about a damaged build-records file says."""
    then = "the next build starts them afresh" if read_only else "starting them afresh"
    return f"build records damaged (not the layout skillforge writes); ignored, {then}"


def write_cost_rows(cache_dir: str, rows: dict[str, Any] | CostRows) -> None:
    """Replace `outputs.bin` with `rows` (by output path)."""
    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    table = rows if isinstance(rows, CostRows) else CostRows(dict(rows))
    try:
        with NoCycles():
            data = marshal.dumps(table.packed())
    except ValueError:
        return
    _write(path, {"format": COSTS_FORMAT, "rows": data, "crc": zlib.crc32(data)})


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
        with NoCycles():
            raw = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None, False
    if _CHECKED.get(path) == data:
        return raw, True
    with NoCycles():
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
    try:
        with NoCycles():
            data = marshal.dumps(value)
        write_atomic(path, data)
    except (OSError, ValueError):
        pass
