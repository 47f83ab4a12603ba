"""The reports the engine fills and the reporters print: a build, a check, their counters.

Light: plain classes and no `dataclasses` or `typing` at run time, because the no-op fast
path fills a `BuildReport` and prints it. Nothing here prints.
"""

from __future__ import annotations

from skillforge.errors import Problem
from skillforge.state.digest import blake2b, digest_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("stale", "missing", "orphaned", "edited")  # what `check` can find wrong with an output

# Each cache layer's counters in `build --json`: (what a miss does, what a hit is called).
REPORTED_LAYERS = {
    "sections": ("rendered", "cached"),
    "fragments": ("rendered", "cached"),
    "templates": ("compiled", "cached"),
    "documents": ("rendered", "cached"),
    "strings": ("rendered", "cached"),
}


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 spec', '2 specs' (with thousands separators)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


class BuildReport:
    """What one build did; `to_json` is the `build --json` object of DESIGN §6."""

    def __init__(self, specs_total: int = 0, unchanged: int = 0, dry_run: bool = False) -> None:
        self.ok = True
        self.duration_ms = 0.0
        self.specs_total = specs_total
        self.specs_parsed = 0
        # failed specs whose recorded errors were reported again, unparsed (DESIGN §5)
        self.specs_replayed = 0
        self.written: list[str] = []
        self.unchanged = unchanged
        self.removed: list[str] = []
        self.files_written = 0
        self.counters: dict[str, int] = {}
        self.reasons: dict[str, list[str]] = {}
        # per output: the spec fields its target has no key for (DESIGN §4)
        self.dropped: dict[str, list[str]] = {}
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.timings: dict[str, float] = {}
        self.dry_run = dry_run
        self.remote: dict[str, Any] | None = None  # the remote cache layer (DESIGN §5.1)

    def count(self, name: str) -> int:
        return self.counters.get(name, 0)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 1),
            "dry_run": self.dry_run,
            "specs": {
                "total": self.specs_total,
                "parsed": self.specs_parsed,
                "replayed": self.specs_replayed,
            },
            "outputs": {
                "written": len(self.written),
                "unchanged": self.unchanged,
                "removed": len(self.removed),
                "files_written": self.files_written,
            },
        }
        for layer, (miss, hit) in REPORTED_LAYERS.items():
            data[layer] = {
                miss: self.count(f"{layer}_{miss}"),
                hit: self.count(f"{layer}_{hit}"),
            }
        data.update(
            {
                "written": self.written,
                "removed": self.removed,
                "reasons": self.reasons,
                "dropped": self.dropped,
                "errors": [p.as_dict() for p in self.errors],
                "warnings": [p.as_dict() for p in self.warnings],
                "timings": {k: round(v, 2) for k, v in self.timings.items()},
            }
        )
        if self.remote is not None:
            data["remote"] = self.remote
        return data

    def replayed_line(self) -> str:
        """What `--explain` says of the failed specs a build did not parse again."""
        specs = plural(self.specs_replayed, "unchanged failed spec")
        return f"replayed the recorded errors of {specs}"

    def summary(self) -> str:
        """One line: what was built, written, removed, cached, and how long it took."""
        verb = "would write" if self.dry_run else "written"
        parts = [
            plural(self.specs_total, "spec"),
            f"{len(self.written):,} {verb}",
            f"{self.unchanged:,} unchanged",
        ]
        if self.files_written:
            parts.append(f"{plural(self.files_written, 'supporting file')} {verb}")
        if self.removed:
            parts.append(f"{len(self.removed):,} {'would remove' if self.dry_run else 'removed'}")
        rendered, cached = self.count("sections_rendered"), self.count("sections_cached")
        if rendered or cached:
            parts.append(f"sections {rendered:,} rendered / {cached:,} cached")
        if self.errors:
            parts.append(plural(len(set(self.errors)), "error"))
        status = "failed" if not self.ok else "built"
        return f"{status}: {', '.join(parts)} in {self.duration_ms / 1000:.2f}s"


class Finding:
    """One output that is not what a build would make of the specs now."""

    def __init__(
        self,
        kind: str,  # one of KINDS
        path: str,  # the output, relative to the project root
        spec: str | None,  # the spec that produces (or produced) it
        message: str,  # what is wrong and what to do, without the path
        line: int | None = None,  # where to annotate: see `where`
        diff: str = "",  # unified diff from the disk to the fresh render
    ) -> None:
        self.kind = kind
        self.path = path
        self.spec = spec
        self.message = message
        self.line = line
        self.diff = diff

    def _key(self) -> tuple[str, str, str | None, str, int | None, str]:
        return (self.kind, self.path, self.spec, self.message, self.line, self.diff)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"Finding({fields})"

    def where(self) -> tuple[str, int | None]:
        """The file and line a CI annotation points at.

        An edited or orphaned output is itself the problem; a stale or missing one is fixed
        by building its spec, which is usually what the pull request touched.
        """
        if self.kind in ("stale", "missing") and self.spec:
            return self.spec, self.line
        return self.path, self.line

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "spec": self.spec, "message": self.message}
        if self.diff:
            data["diff"] = self.diff
        return data


class CheckReport:
    """What one check found; `to_json` is the `check --format json` object."""

    def __init__(
        self,
        specs_total: int = 0,
        specs_rendered: int = 0,
        outputs_checked: int = 0,
        findings: list[Finding] | None = None,
        errors: list[Problem] | None = None,
        warnings: list[Problem] | None = None,
        duration_ms: float = 0.0,
    ) -> None:
        self.specs_total = specs_total
        self.specs_rendered = specs_rendered
        self.outputs_checked = outputs_checked
        self.findings: list[Finding] = [] if findings is None else findings
        self.errors: list[Problem] = [] if errors is None else errors
        self.warnings: list[Problem] = [] if warnings is None else warnings
        self.duration_ms = duration_ms

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckReport):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"CheckReport({fields})"

    @property
    def ok(self) -> bool:
        return not self.findings and not self.errors

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def to_json(self) -> dict[str, Any]:
        differing = sum(1 for f in self.findings if f.kind != "orphaned")
        data: dict[str, Any] = {
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 1),
            "specs": {"total": self.specs_total, "rendered": self.specs_rendered},
            "outputs": {
                "checked": self.outputs_checked,
                "up_to_date": self.outputs_checked - differing,
                **{kind: len(self.of(kind)) for kind in KINDS},
            },
        }
        for kind in KINDS:
            data[kind] = [f.as_dict() for f in self.of(kind)]
        data["errors"] = [p.as_dict() for p in self.errors]
        data["warnings"] = [p.as_dict() for p in self.warnings]
        return data


# The counter fields of `Counters`, in the order `build --json` and `stats` read them.
COUNTED = (
    "templates_compiled",
    "templates_cached",
    "fragments_rendered",
    "fragments_cached",
    "sections_rendered",
    "sections_cached",
    "documents_rendered",
    "documents_cached",
    "strings_rendered",  # Jinja in string fields (strings.py)
    "strings_cached",
)


class Counters:
    """Hits and misses of each cache layer in one build (`build --json`, `stats`)."""

    def __init__(self) -> None:
        self.templates_compiled = 0
        self.templates_cached = 0
        self.fragments_rendered = 0
        self.fragments_cached = 0
        self.sections_rendered = 0
        self.sections_cached = 0
        self.documents_rendered = 0
        self.documents_cached = 0
        self.strings_rendered = 0
        self.strings_cached = 0
        self.template_times: dict[str, list[float]] = {}
        # a short digest of each render's output, in the order of `template_times` (for
        # `stats`: renders that repeat an output are what a cache could have served)
        self.template_outputs: dict[str, list[str]] = {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counters):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"Counters({fields})"

    def add(self, other: Counters) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, times in other.template_times.items():
            self.template_times.setdefault(name, []).extend(times)
        for name, outputs in other.template_outputs.items():
            self.template_outputs.setdefault(name, []).extend(outputs)

    def take(self) -> Counters:
        """Return a copy of the counters and reset them to zero (in place)."""
        copy = Counters()
        copy.add(self)
        for name in COUNTED:
            setattr(self, name, 0)
        self.template_times = {}
        self.template_outputs = {}
        return copy

    def as_dict(self) -> dict[str, int]:
        """The counters by name (the `build --json` layers read them)."""
        return {name: getattr(self, name) for name in COUNTED}

    def timed(self, name: str, seconds: float, output: str = "", key: str | None = None) -> None:
        """Count a render of template `name`; `key` is `output_key(output)` when known."""
        self.template_times.setdefault(name, []).append(seconds)
        self.template_outputs.setdefault(name, []).append(
            output_key(output) if key is None else key
        )


# A document's frontmatter ends at its first "\n---\n": the texts after it are often the same
# (every target's document of a spec), so `output_key` digests the two parts apart.
FRONT_END = "\n---\n"


def output_key(text: str) -> str:
    """A key of a render's output, the same for equal texts only (up to 64-bit digests): the
    repeats of `template_table` are counted by it."""
    data = text.encode("utf-8")  # (UTF-8 keeps an ASCII run where the text has it)
    at = data.find(b"\n---\n")
    if at == -1:
        return blake2b(data, digest_size=16).hexdigest()[:16]
    view = memoryview(data)
    head, rest = blake2b(view[:at], digest_size=16), blake2b(view[at:], digest_size=16)
    return head.hexdigest()[:16] + rest.hexdigest()[:16]


def part_key(text: str) -> str:
    return digest_bytes(text.encode("utf-8"))[:16]
