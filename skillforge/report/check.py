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
from typing import IO

from skillforge.engine.check import KINDS, CheckReport, Finding
from skillforge.engine.config import Config
from skillforge.engine.options import CheckOptions
from skillforge.errors import Problem
from skillforge.report.plain import Snippets, grouped, headline, plural, write_line

TITLES = {
    "stale": "Stale generated file",
    "missing": "Missing generated file",
    "orphaned": "Orphaned generated file",
    "edited": "Generated file edited by hand",
}


def print_report(
    report: CheckReport, options: CheckOptions, config: Config, stream: IO[str] | None = None
) -> None:
    """Print `report` in the format the user asked for."""
    out = stream or sys.stdout
    if options.format == "json":
        from skillforge.report.plain import encode_json

        write_line(encode_json(report.to_json()), out)
        return
    if options.format == "github":
        lines = github_lines(report, options, repository_prefix(config))
    else:
        lines = text_lines(report, options, str(config.root), colour=_colour(out))
    if lines:
        write_line("\n".join(lines), out)


def print_setup_error(message: str, options: CheckOptions, stream: IO[str] | None = None) -> None:
    """A config or usage error in the format asked for: a JSON object or annotations."""
    out = stream or sys.stdout
    problems = []
    for line in message.splitlines():
        file, sep, rest = line.partition(": ")
        if not sep or " " in file:
            file, rest = "", line
        problems.append(Problem(file, None, None, rest))
    if options.format == "json":
        from skillforge.report.plain import encode_json

        data = {"ok": False, "errors": [p.as_dict() for p in problems], "warnings": []}
        write_line(encode_json(data), out)
        return
    for problem in problems:
        props = f"file={escape_property(problem.file)}," if problem.file else ""
        write_line(f"::error {props}title=skillforge config::{escape_data(problem.message)}", out)


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
    report: CheckReport, options: CheckOptions, root: str | None = None, *, colour: bool = False
) -> list[str]:
    """Findings with their diffs, problems, then the summary; `-q` keeps the problems only."""
    snippets = Snippets(root)
    lines: list[str] = []
    for finding in report.findings:
        lines.append(finding_line(finding))
        if finding.diff and options.diff and not options.quiet:
            diff = finding.diff.rstrip("\n")
            lines.append(coloured(diff) if colour else diff)
    for problem, count in grouped(report.errors):
        lines += [headline(problem, count), *snippets.lines(problem)]
    if not options.quiet:
        for problem, count in grouped(report.warnings):
            lines += [headline(problem, count), *snippets.lines(problem)]
        lines.append(summary(report))
    return lines


def github_lines(report: CheckReport, options: CheckOptions, prefix: str) -> list[str]:
    """Workflow commands (`::error file=...,line=...,title=...::message`), diffs, summary."""
    lines: list[str] = []
    for finding in report.findings:
        file, line = finding.where()
        message = f"{finding.path}: {finding.message}"
        lines.append(command("error", prefix + file, line, TITLES[finding.kind], message))
    for problem, count in grouped(report.errors):
        lines.append(_problem("error", problem, prefix, count))
    for problem, count in grouped(report.warnings):
        if not options.quiet:
            lines.append(_problem("warning", problem, prefix, count))
    if options.quiet:
        return lines
    for finding in report.findings:
        if finding.diff and options.diff:
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


def repository_prefix(config: Config) -> str:
    """The project root relative to the repository root, with a trailing slash ('' if same)."""
    root = os.path.realpath(config.root)
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
