"""Build records for `skillforge stats` (DESIGN §5, §6): what each build did, kept on disk.

Under `<cache folder>/stats/`:

- `records.bin` — the last `[cache] records` build records (default `KEEP`), all-time totals
  and all-time render times per template (marshal, written atomically after each full build);
- `outputs.bin` — the cost of every generated document (token estimates, body lines, listing
  entry), updated with the specs each build renders;
- `noops.log` — one short line per no-op build. The fast path appends it with one `write`
  (no read, no parse, no rename: tens of microseconds) so that all-time hit ratios count
  no-op builds too; the next full build folds the lines into `records.bin`.

Standard library only at module level: the fast path imports `note_noop` from here.
"""

from __future__ import annotations

import contextlib
import marshal
import math
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from skillforge.config import Config
    from skillforge.cost import OutputCost
    from skillforge.errors import Problem
    from skillforge.manifest import Manifest
    from skillforge.report import BuildReport
    from skillforge.templating import Counters

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


def note_noop(cache_dir: str, specs: int, documents: int, duration_ms: float) -> None:
    """Append a no-op build to the log (the fast path's only write; never raises)."""
    path = os.path.join(cache_dir, STATS_FOLDER, NOOPS_NAME)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return  # no stats folder yet (no full build recorded): nothing to add to
    try:
        if os.fstat(fd).st_size < MAX_NOOP_LOG:
            line = f"{time.time():.3f} {documents} {duration_ms:.2f} {specs}\n"
            os.write(fd, line.encode())
    except OSError:
        pass
    finally:
        os.close(fd)


# -- records ------------------------------------------------------------------------------


def build_record(report: BuildReport, counters: Counters, kind: str = "build") -> dict[str, Any]:
    """The record of one full build: counters, outputs, timings, templates, problems."""
    values = report.counters
    return {
        "time": time.time(),
        "kind": kind,
        "ok": not report.errors,
        "duration_ms": round(report.duration_ms, 2),
        "specs": {"total": report.specs_total, "parsed": report.specs_parsed},
        "layers": {
            layer: [values.get(hit, 0), values.get(miss, 0)]
            for layer, (hit, miss) in LAYERS.items()
        },
        "outputs": {
            "written": len(report.written),
            "unchanged": report.unchanged,
            "removed": len(report.removed),
            "files_written": report.files_written,
        },
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
        "templates": template_table(counters),
        "errors": len(report.errors),
        "warnings": [str(p) for p in report.warnings[:WARNINGS_KEPT]],
        "warnings_count": len(report.warnings),
    }


def noop_record(
    when: float, documents: int, duration_ms: float, specs: int | None = None
) -> dict[str, Any]:
    """The record of a no-op build: one documents hit per up-to-date output (DESIGN §6)."""
    layers = {layer: [0, 0] for layer in LAYERS}
    layers["documents"] = [documents, 0]
    return {
        "time": when,
        "kind": "noop",
        "ok": True,
        "duration_ms": duration_ms,
        "specs": {"total": specs, "parsed": 0},
        "layers": layers,
        "outputs": {"written": 0, "unchanged": documents, "removed": 0, "files_written": 0},
        "timings": {"total_ms": duration_ms},
        "templates": {},
        "errors": 0,
        "warnings": [],
        "warnings_count": 0,
    }


def template_table(counters: Counters) -> dict[str, list[Any]]:
    """Per template: [renders, total ms, max ms, repeats].

    A repeat is a render whose output another render of the same template produced in the
    same build: what a cache keyed on the inputs that really matter could have served.
    Inline section bodies are one row (each is its own one-off template).
    """
    times: dict[str, list[float]] = {}
    outputs: dict[str, list[str]] = {}
    for name, seconds in counters.template_times.items():
        label = INLINE if "#" in name else name
        times.setdefault(label, []).extend(seconds)
        outputs.setdefault(label, []).extend(counters.template_outputs.get(name, []))
    table: dict[str, list[Any]] = {}
    for label, seconds in times.items():
        produced = outputs.get(label, [])
        repeats = len(produced) - len(set(produced)) if produced else 0
        table[label] = [
            len(seconds),
            round(sum(seconds) * 1000, 3),
            round(max(seconds) * 1000, 3),
            repeats,
        ]
    return table


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
        raw = _read(path)
        if _valid_history(raw):
            history.records = raw["records"][-keep:]
            history.totals = raw["totals"]
            history.templates = raw["templates"]
        elif damaged is not None and (raw is not None or _present(path)):
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
            record = noop_record(float(parts[0]), int(parts[1]), float(parts[2]), specs)
        except (IndexError, ValueError):
            continue
        if _valid_record(record):  # damaged digits can still parse: "nan", "1e999"
            found.append(record)
    return found


# -- output costs -------------------------------------------------------------------------


def read_costs(cache_dir: str, damaged: list[str] | None = None) -> dict[str, OutputCost]:
    """The cost of each generated document at its last build, by output path.

    A file in another layout is an empty table (rebuilt as specs render again); its path is
    added to `damaged`.
    """
    from skillforge.cost import OutputCost

    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    raw = _read(path)
    if not (
        isinstance(raw, dict)
        and raw.get("format") == FORMAT
        and _is_map(raw.get("outputs"), _valid_cost)
    ):
        if damaged is not None and (raw is not None or _present(path)):
            damaged.append(path)
        return {}
    return {path: OutputCost.from_raw(path, values) for path, values in raw["outputs"].items()}


def damaged_message(read_only: bool) -> str:
    """What a warning about a damaged build-records file says."""
    then = "the next build starts them afresh" if read_only else "starting them afresh"
    return f"build records damaged (not the layout skillforge writes); ignored, {then}"


def write_costs(cache_dir: str, table: dict[str, OutputCost]) -> None:
    outputs = {path: cost.to_raw() for path, cost in sorted(table.items())}
    path = os.path.join(stats_folder(cache_dir), OUTPUTS_NAME)
    _write(path, {"format": FORMAT, "outputs": outputs})


def next_costs(
    old: dict[str, OutputCost], rendered: list[OutputCost], state: Manifest | None
) -> dict[str, OutputCost]:
    """The cost table after a build: new costs in, outputs that left the manifest out."""
    table = dict(old)
    for cost in rendered:
        table[cost.path] = cost
    if state is not None:
        table = {p: c for p, c in table.items() if p in state.outputs}
    return table


# -- the hook at the end of a build ---------------------------------------------------------


def record_build(
    config: Config,
    report: BuildReport,
    counters: Counters,
    rendered: list[OutputCost],
    state: Manifest | None,
    emit: Callable[[Problem], None],
    *,
    save: bool = True,
    rejudge: bool = False,
) -> None:
    """Update the cost table, judge the skill listing, and keep the build's record.

    `state` is the manifest as this build leaves it. Listing problems go through `emit`
    before the record is made, so the record holds them. A dry run (`save=False`) judges the
    listing and writes nothing.
    """
    from skillforge.budgets import listing_problems
    from skillforge.errors import Problem

    cache_dir = str(config.cache_dir)
    damaged: list[str] = []
    old = read_costs(cache_dir, damaged)
    history = History.load(cache_dir, keep=config.records_kept, fold=False, damaged=damaged)
    for path in damaged:  # before the record is made, so that it holds them
        emit(Problem(config.rel(path), None, None, damaged_message(not save), "warning"))
    table = next_costs(old, rendered, state)
    failing = False
    for problem in listing_problems(config, old, table, rejudge):
        failing = failing or problem.severity == "error"
        emit(problem)
    if not save:
        return
    folder = stats_folder(cache_dir)
    marker = os.path.join(folder, LISTING_FAILED_NAME)
    if failing:
        os.makedirs(folder, exist_ok=True)
        with open(marker, "wb"):
            pass
    else:
        with contextlib.suppress(OSError):
            os.unlink(marker)
    noops = os.path.join(folder, NOOPS_NAME)
    folding = f"{noops}.{os.getpid()}.fold"
    try:
        os.replace(noops, folding)  # no-op builds from now on start a new log
    except OSError:
        folding = ""
    for record in read_noops(folding) if folding else []:
        history.add(record)
    history.add(build_record(report, counters))
    if table != old:
        write_costs(cache_dir, table)
    history.save(cache_dir)
    if folding:
        with contextlib.suppress(OSError):
            os.unlink(folding)


def _read(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: str, value: Any) -> None:
    """Write atomically; stats that cannot be written only cost the stats, never the build."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(value))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# -- the layout of what is read: damaged bytes can decode to anything -----------------------

# OutputCost.to_raw, field by field; the first 8 are required (the rest have defaults)
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


def _present(path: str) -> bool:
    return os.path.lexists(path)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _when(value: object) -> bool:
    return _number(value) and 0 <= value <= _LATEST  # type: ignore[operator]


def _is_map(value: object, valid: Callable[[Any], bool]) -> bool:
    """A dict of str keys whose values all pass `valid`."""
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


def _valid_cost(value: object) -> bool:
    return (
        isinstance(value, list)
        and _COST_REQUIRED <= len(value) <= len(_COST_FIELDS)
        and all(
            isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
            for v, types in zip(value, _COST_FIELDS, strict=False)
        )
    )


def _valid_record(value: object) -> bool:
    """A build record as `build_record` or `noop_record` makes it."""
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
    """`History.to_raw`'s layout, down to the values `stats` prints."""
    return (
        isinstance(raw, dict)
        and raw.get("format") == FORMAT
        and isinstance(raw.get("records"), list)
        and all(map(_valid_record, raw["records"]))
        and _valid_totals(raw.get("totals"))
        and _is_map(raw.get("templates"), _template_row)
    )
