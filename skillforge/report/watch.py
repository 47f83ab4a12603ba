"""What `skillforge watch` prints: one line per rebuild, or one JSON object per rebuild.

Each rebuild gets a build `Reporter` (see `reporter.py`) from `WatchReporter.rebuild`; problems
are printed as they come, in the same words as `skillforge build`, and `finish` prints the
rebuild's line: what changed, what was written or removed, how long it took. With `--json`
the line is the `build --json` object plus `changed`. Rich is imported only on a terminal.
"""

from __future__ import annotations

import sys
import time

from skillforge.errors import Problem
from skillforge.report.model import BuildReport
from skillforge.report.plain import Snippets, encode_json, grouped, headline, write_line
from skillforge.report.reporter import Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from rich.console import Console

SHOWN = 3  # written or removed paths named in a line; more are counted


def describe(changed: list[str]) -> str:
    """Name what changed: a path, or a path and how many more."""
    if not changed:
        return "initial build"
    more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
    return changed[0] + more


def outcome(report: BuildReport) -> str:
    """Say what a rebuild did, in a few words."""
    parts = []
    for verb, paths in (("wrote", report.written), ("removed", report.removed)):
        if len(paths) > SHOWN:
            parts.append(f"{verb} {len(paths)} files")
        elif paths:
            parts.append(f"{verb} {', '.join(paths)}")
    if report.files_written:
        n = report.files_written
        parts.append(f"wrote {n} supporting file{'s' if n != 1 else ''}")
    if report.errors:
        n = len(set(report.errors))
        parts.append(f"{n} error{'s' if n != 1 else ''}, nothing written for the failed specs")
    return "; ".join(parts) or "up to date"


class _Rebuild(Reporter):
    """The build reporter of one rebuild: problems at once, one line at the end."""

    def __init__(self, owner: WatchReporter, changed: list[str]) -> None:
        self.owner = owner
        self.changed = changed
        self.problems: list[Problem] = []

    def problem(self, problem: Problem) -> None:
        self.problems.append(problem)  # printed at the end, each once (see `grouped`)

    def finish(self, report: BuildReport) -> None:
        for problem, count in grouped(self.problems):
            self.owner.problem(problem, count)
        self.owner.finished(self.changed, report)


class WatchReporter(Reporter):
    """Plain lines (logs, pipes): problems on stderr, one line per rebuild on stdout."""

    def __init__(
        self,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        *,
        quiet: bool = False,
        verbose: bool = False,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or out or sys.stderr
        self.quiet = quiet
        self.verbose = verbose
        self.snippets = Snippets()

    def rebuild(self, changed: list[str]) -> _Rebuild:
        """Return the reporter of one rebuild caused by `changed` (project-relative paths)."""
        return _Rebuild(self, changed)

    def problem(self, problem: Problem, count: int = 1) -> None:
        if problem.severity == "warning" and self.quiet:
            return
        self.snippets.files.clear()  # a save may have changed the file since
        lines = [headline(problem, count), *self.snippets.lines(problem)]
        self.emit("\n".join(lines), problem.severity, self.err)

    def finished(self, changed: list[str], report: BuildReport) -> None:
        if self.quiet:
            return
        line = f"{describe(changed)}: {outcome(report)} ({report.duration_ms:.0f} ms)"
        self.emit(f"{time.strftime('%H:%M:%S')} {line}", "ok" if report.ok else "failed")

    def failed(self, changed: list[str], problems: list[Problem]) -> None:
        """A rebuild that could not run (bad config, internal error): say why."""
        for problem in problems:
            self.problem(problem)

    def watching(self, folders: list[str]) -> None:
        if not self.quiet:
            self.emit(f"watching {', '.join(folders)} (Ctrl-C to stop)", "info")

    def stopped(self) -> None:
        if not self.quiet:
            self.emit("stopped watching", "info")

    def emit(self, text: str, kind: str, stream: IO[str] | None = None) -> None:
        write_line(text, stream or self.out)


class JsonWatchReporter(WatchReporter):
    """One JSON object per rebuild on stdout: the `build --json` shape plus `changed`."""

    def problem(self, problem: Problem, count: int = 1) -> None:
        pass  # in the object

    def finished(self, changed: list[str], report: BuildReport) -> None:
        data: dict[str, Any] = report.to_json()
        data["changed"] = changed
        write_line(encode_json(data), self.out)

    def failed(self, changed: list[str], problems: list[Problem]) -> None:
        report = BuildReport()
        report.ok = False
        report.errors = list(problems)
        self.finished(changed, report)

    def watching(self, folders: list[str]) -> None:
        pass

    def stopped(self) -> None:
        pass


_STYLES = {"ok": "green", "failed": "bold red", "error": "bold red", "warning": "yellow"}


class RichWatchReporter(WatchReporter):
    """Coloured lines on a terminal (Rich respects NO_COLOR)."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        verbose: bool = False,
        out: Console | None = None,
        err: Console | None = None,
    ) -> None:
        super().__init__(quiet=quiet, verbose=verbose)
        from rich.console import Console

        self.console = out or Console(highlight=False)
        self.console_err = err or Console(stderr=True, highlight=False)

    def finished(self, changed: list[str], report: BuildReport) -> None:
        from rich.markup import escape

        if self.quiet:
            return
        style = _STYLES["ok" if report.ok else "failed"]
        self.console.print(
            f"[dim]{time.strftime('%H:%M:%S')}[/] [bold]{escape(describe(changed))}[/]: "
            f"[{style}]{escape(outcome(report))}[/] [dim]({report.duration_ms:.0f} ms)[/]",
            soft_wrap=True,
        )

    def emit(self, text: str, kind: str, stream: IO[str] | None = None) -> None:
        from rich.markup import escape

        console = self.console_err if kind in ("error", "warning") else self.console
        style = _STYLES.get(kind, "dim")
        console.print(f"[{style}]{escape(text)}[/]", soft_wrap=True)


def make_watch_reporter(
    json: bool, quiet: bool, verbose: bool, out: IO[str] | None = None
) -> WatchReporter:
    """JSON with --json, Rich on a terminal, plain lines otherwise."""
    from skillforge.report.console import is_terminal

    if json:
        return JsonWatchReporter(out, quiet=quiet, verbose=verbose)
    if is_terminal(out):
        return RichWatchReporter(quiet=quiet, verbose=verbose)
    return WatchReporter(out, quiet=quiet, verbose=verbose)
