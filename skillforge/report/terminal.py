"""The terminal reporter: a Rich progress bar for long builds and a coloured summary."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from skillforge.errors import Problem
from skillforge.report.model import BuildReport
from skillforge.report.plain import LISTED, Snippets, grouped, read_more
from skillforge.report.reporter import GONE, Reporter

PROGRESS_FROM = 50  # dirty specs; smaller builds finish before a bar is worth drawing


class RichReporter(Reporter):
    """Rich output on a terminal (respects NO_COLOR through Rich)."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        explain: bool = False,
        verbose: bool = False,
        dry_run: bool = False,
        root: str | None = None,
        out: Console | None = None,
        err: Console | None = None,
    ) -> None:
        self.out = out or Console(highlight=False)
        self.err = err or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.explain = explain
        self.verbose = verbose
        self.verb = "would write" if dry_run else "wrote"
        self.snippets = Snippets(root)
        self.problems: list[Problem] = []
        self.listed = 0
        self.unlisted = 0
        self.progress: Progress | None = None
        self.task: int | None = None

    def start(self, dirty: int) -> None:
        if self.quiet or dirty < PROGRESS_FROM:
            return
        self.progress = Progress(
            TextColumn("[bold]building"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("build", total=dirty)

    def advance(self, spec: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)  # type: ignore[arg-type]

    def written(self, path: str, reasons: list[str]) -> None:
        if self.quiet:
            return
        if self.explain:
            why = escape("; ".join(reasons))
            self.out.print(f"[green]{self.verb}[/] {escape(path)}: [dim]{why}[/]")
        elif self.verbose or self.listed < LISTED:
            self.listed += 1
            self.out.print(f"[green]{self.verb}[/] {escape(path)}")
        else:
            self.unlisted += 1

    def removed(self, path: str, why: str = GONE) -> None:
        if not self.quiet:
            verb = "would remove" if self.verb == "would write" else "removed"
            self.out.print(f"[yellow]{verb}[/] {escape(path)} [dim]({escape(why)})[/]")

    def problem(self, problem: Problem) -> None:
        if problem.severity == "warning" and self.quiet:
            return
        self.problems.append(problem)  # printed at the end, each once (see `grouped`)

    def _print_problems(self) -> None:
        first = True
        for problem, count in grouped(self.problems):
            fails = f" [dim](fails {count:,} specs)[/]" if count > 1 else ""
            label = (
                "[yellow]warning:[/]" if problem.severity == "warning" else "[bold red]error:[/]"
            )
            self.err.print(f"{label} {escape(str(problem))}{fails}")
            self._snippet(problem)
            if first and problem.severity == "error":
                self.err.print(f"[cyan]{escape(read_more(problem))}[/]", soft_wrap=True)
                first = False

    def _snippet(self, problem: Problem) -> None:
        for line in self.snippets.lines(problem):
            style = "cyan" if line.lstrip().startswith("=") else "blue"
            self.err.print(f"[{style}]{escape(line)}[/]", soft_wrap=True)

    def finish(self, report: BuildReport) -> None:
        if self.progress is not None:
            self.progress.stop()
        self._print_problems()
        if self.quiet:
            return
        if self.unlisted:
            self.out.print(f"[dim]... and {self.unlisted:,} more[/]")
        if self.explain and report.specs_replayed:
            self.out.print(escape(report.replayed_line()))
        style = "bold red" if not report.ok else "bold green"
        self.out.print(f"[{style}]{escape(report.summary())}[/]")
