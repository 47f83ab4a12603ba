"""Print a `CheckReport`: plain text, one JSON object, or GitHub Actions workflow commands.

`github` prints one `::error` (or `::warning`) command per problem, so that each shows up
inline on the pull request, then each diff in a collapsible log group and the summary line.
Workflow commands name files relative to the repository root, which need not be the project
root (a project in `docs/` of a larger repository): paths are made relative to
`$GITHUB_WORKSPACE` when the project lies inside it, else to the nearest folder above the
project holding `.git`, else to the project root.
"""

from __future__ import annotations

import os
import sys

from skillforge.errors import Problem
from skillforge.report.model import KINDS, CheckReport, Finding, plural
from skillforge.report.plain import (
    Snippets,
    encode_json,
    grouped,
    headline,
    read_more,
    write_line,
)
from skillforge.report.reporter import Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Protocol

    class Asked(Protocol):
        """What `check` was asked to print (the engine's `CheckOptions` is one)."""

        @property
        def format(self) -> str: ...
        @property
        def diff(self) -> bool: ...
        @property
        def quiet(self) -> bool: ...

    class Project(Protocol):
        """Where the project is (the engine's `Config` is one)."""

        @property
        def root(self) -> str | os.PathLike[str]: ...


TITLES = {
    "stale": "Stale generated file",
    "missing": "Missing generated file",
    "orphaned": "Orphaned generated file",
    "edited": "Generated file edited by hand",
}


class CheckReporter(Reporter):
    """Findings as plain text with their diffs, the problems, then a summary line."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        diff: bool = True,
        quiet: bool = False,
        root: str | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self.diff = diff
        self.quiet = quiet
        self.root = root

    def checked(self, report: CheckReport) -> None:
        self.print_lines(self.lines(report))

    def lines(self, report: CheckReport) -> list[str]:
        """The lines that show `report`."""
        return text_lines(
            report, diff=self.diff, quiet=self.quiet, root=self.root, colour=_colour(self.stream)
        )

    def failed(self, message: str) -> None:
        """The check could not start (a config or usage error); text leaves it to stderr."""

    def print_lines(self, lines: list[str]) -> None:
        if lines:
            write_line("\n".join(lines), self.stream)


class JsonCheckReporter(CheckReporter):
    """The report as one JSON object: the `check --format json` shape."""

    def checked(self, report: CheckReport) -> None:
        write_line(encode_json(report.to_json()), self.stream)

    def failed(self, message: str) -> None:
        data = {"ok": False, "errors": [p.as_dict() for p in _problems(message)], "warnings": []}
        write_line(encode_json(data), self.stream)


class GithubCheckReporter(CheckReporter):
    """GitHub Actions workflow commands: an annotation per problem, diffs in log groups."""

    def lines(self, report: CheckReport) -> list[str]:
        prefix = repository_prefix(self.root or os.getcwd())
        return github_lines(report, diff=self.diff, quiet=self.quiet, prefix=prefix)

    def failed(self, message: str) -> None:
        for problem in _problems(message):
            props = f"file={escape_property(problem.file)}," if problem.file else ""
            line = f"::error {props}title=skillforge config::{escape_data(problem.message)}"
            write_line(line, self.stream)


REPORTERS: dict[str, type[CheckReporter]] = {
    "text": CheckReporter,
    "json": JsonCheckReporter,
    "github": GithubCheckReporter,
}


def check_reporter(
    asked: Asked, stream: IO[str] | None = None, root: str | None = None
) -> CheckReporter:
    """The reporter of the format `check` was asked for."""
    return REPORTERS[asked.format](stream, diff=asked.diff, quiet=asked.quiet, root=root)


def print_report(
    report: CheckReport, options: Asked, config: Project, stream: IO[str] | None = None
) -> None:
    """Print `report` in the format the user asked for."""
    check_reporter(options, stream, os.fspath(config.root)).checked(report)


def print_setup_error(message: str, options: Asked, stream: IO[str] | None = None) -> None:
    """A config or usage error in the format asked for: a JSON object or annotations."""
    check_reporter(options, stream).failed(message)


def _problems(message: str) -> list[Problem]:
    """The problems of a setup error's message, one a line (`file: message` when it names one)."""
    problems = []
    for line in message.splitlines():
        file, sep, rest = line.partition(": ")
        if not sep or " " in file:
            file, rest = "", line
        problems.append(Problem(file, None, None, rest))
    return problems


_COLOURS = {"+": "32", "-": "31", "@": "36"}


def _colour(out: IO[str]) -> bool:
    """Colour diffs on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    isatty = getattr(out, "isatty", None)
    return bool(
        isatty and isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )


def coloured(diff: str) -> str:
    """A unified diff with ANSI colours: additions green, removals red, hunks cyan."""
    lines = []
    for line in diff.splitlines():
        code = _COLOURS.get(line[:1])
        if line.startswith(("+++", "---")):
            code = "1"
        lines.append(f"\x1b[{code}m{line}\x1b[0m" if code else line)
    return "\n".join(lines)


def summary(report: CheckReport) -> str:
    """One line: passed or failed, with the counts and how long it took."""
    seconds = f"in {report.duration_ms / 1000:.2f}s"
    if report.ok:
        return (
            f"check passed: {plural(report.specs_total, 'spec')}, "
            f"{plural(report.outputs_checked, 'output')} up to date "
            f"({plural(report.specs_rendered, 'spec')} rendered) {seconds}"
        )
    parts = [plural(report.specs_total, "spec")]
    parts += [f"{len(report.of(kind))} {kind}" for kind in KINDS if report.of(kind)]
    if report.errors:
        parts.append(plural(len(set(report.errors)), "error"))
    return f"check failed: {', '.join(parts)} {seconds}"


def text_lines(
    report: CheckReport,
    *,
    diff: bool = True,
    quiet: bool = False,
    root: str | None = None,
    colour: bool = False,
) -> list[str]:
    """Findings with their diffs, problems, then the summary; `-q` keeps the problems only."""
    snippets = Snippets(root)
    lines: list[str] = []
    for finding in report.findings:
        lines.append(finding_line(finding))
        if finding.diff and diff and not quiet:
            shown = finding.diff.rstrip("\n")
            lines.append(coloured(shown) if colour else shown)
    for i, (problem, count) in enumerate(grouped(report.errors)):
        lines += [headline(problem, count), *snippets.lines(problem)]
        if i == 0:
            lines.append(read_more(problem))
    if not quiet:
        for problem, count in grouped(report.warnings):
            lines += [headline(problem, count), *snippets.lines(problem)]
        lines.append(summary(report))
    return lines


def github_lines(
    report: CheckReport, *, diff: bool = True, quiet: bool = False, prefix: str = ""
) -> list[str]:
    """Workflow commands (`::error file=...,line=...,title=...::message`), diffs, summary."""
    lines: list[str] = []
    for finding in report.findings:
        file, line = finding.where()
        message = f"{finding.path}: {finding.message}"
        lines.append(command("error", prefix + file, line, TITLES[finding.kind], message))
    for problem, count in grouped(report.errors):
        lines.append(_problem("error", problem, prefix, count))
    for problem, count in grouped(report.warnings):
        if not quiet:
            lines.append(_problem("warning", problem, prefix, count))
    if quiet:
        return lines
    for finding in report.findings:
        if finding.diff and diff:
            lines.append(f"::group::{escape_data(f'diff of {finding.path} ({finding.kind})')}")
            # every diff line starts with " ", "+", "-", "@" or "\": none is read as a command
            lines.append(finding.diff.rstrip("\n"))
            lines.append("::endgroup::")
    lines.append(summary(report))
    return lines


def _problem(level: str, problem: Problem, prefix: str, count: int = 1) -> str:
    field = f"{problem.field}: " if problem.field else ""
    fails = f" (fails {count:,} specs)" if count > 1 else ""
    title = "skillforge" if level == "warning" else "skillforge check"
    hint = f"\nhint: {problem.hint}" if problem.hint else ""
    message = field + problem.message + fails + hint
    return command(level, prefix + problem.file, problem.line, title, message)


def command(level: str, file: str, line: int | None, title: str, message: str) -> str:
    """One workflow command, escaped as GitHub's runner expects."""
    props = [f"file={escape_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def escape_data(value: str) -> str:
    """Escape a command's message: `%`, CR and LF."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command's property value: as a message, plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def repository_prefix(project_root: str) -> str:
    """The project root relative to the repository root, with a trailing slash ('' if same)."""
    root = os.path.realpath(project_root)
    base = None
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        real = os.path.realpath(workspace)
        if root == real or root.startswith(real.rstrip(os.sep) + os.sep):
            base = real
    if base is None:
        folder = root
        while True:
            if os.path.exists(os.path.join(folder, ".git")):
                base = folder
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                base = root
                break
            folder = parent
    rel = os.path.relpath(root, base).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def finding_line(finding: Finding) -> str:
    """The plain-text line of a finding (without its diff)."""
    return f"{finding.kind}: {finding.path}: {finding.message}"
