"""The plain reporters: lines for logs and CI, one JSON object; and the helpers all share.

Light (plain classes, no `json` at module level): the no-op fast path prints through this
module. The Rich reporter is in `terminal.py`, loaded only on a terminal.
"""

from __future__ import annotations

import sys

from skillforge.errors import Problem
from skillforge.report.model import BuildReport
from skillforge.report.reporter import GONE, Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any


def grouped(problems: list[Problem]) -> list[tuple[Problem, int]]:
    """Each distinct problem once, in first-seen order, with how many times it came.

    A problem in a shared file (a base, a trait, a template) comes once per spec it fails.
    """
    counts: dict[Problem, int] = {}
    for problem in problems:
        counts[problem] = counts.get(problem, 0) + 1
    return list(counts.items())


def headline(problem: Problem, count: int = 1) -> str:
    """`error: file:line: field: message`, with the number of specs it fails when shared."""
    fails = f" (fails {count:,} specs)" if count > 1 else ""
    return f"{problem.severity}: {problem}{fails}"


def read_more(problem: Problem) -> str:
    """The line under the first error of a run: where to read more about it."""
    parts = (problem.field or "").split(".")
    if "with" in parts or "template" in parts or ".md.j2" in problem.message:
        return (
            "  = more: `skillforge templates` lists the built-in templates with their with: "
            "keys and an example each"
        )
    spec = problem.file if problem.file.endswith((".yaml", ".yml")) else "SPEC"
    return (
        f"  = more: `skillforge show {spec} --merged` shows the spec after extends and "
        "traits, with where each field came from; `skillforge schema` is the spec format"
    )


SNIPPET_WIDTH = 160  # longer source lines are cut in a snippet
SNIPPET_READ = 4 * 2**20  # the most of a file read to show a snippet


class Snippets:
    """The source line of a problem with a caret under it, and its hint, like a compiler.

    Files are read when a problem is printed (relative to the project root), once each.
    """

    def __init__(self, root: str | None = None) -> None:
        self.root = root
        self.files: dict[str, list[str] | None] = {}

    def lines(self, problem: Problem) -> list[str]:
        """The lines printed under a problem: `  3 | source`, `    |   ^`, `    = hint: ...`."""
        out: list[str] = []
        source = self.source(problem.file, problem.line) if problem.line else None
        if source is not None and source.strip():
            number = str(problem.line)
            pad = " " * len(number)
            shown = source[:SNIPPET_WIDTH].replace("\t", " ")
            out.append(f"  {number} | {shown}")
            start, width = _span(source, problem.column)
            if start < SNIPPET_WIDTH:
                out.append(f"  {pad} | {' ' * start}{'^' * max(1, width)}")
        if problem.hint:
            out.append(f"  = hint: {problem.hint}")
        return out

    def source(self, file: str, line: int | None) -> str | None:
        if line is None or line < 1:
            return None
        if file not in self.files:
            self.files[file] = self._read(file)
        text = self.files[file]
        return text[line - 1] if text is not None and line <= len(text) else None

    def _read(self, file: str) -> list[str] | None:
        import os

        if ":" in file.split("/", 1)[0]:
            return None  # not a project file (builtin:..., watch)
        root = self.root
        if root is None:
            from skillforge.state.locate import find_config_file

            found = find_config_file(os.getcwd())
            root = os.path.dirname(found) if found else os.getcwd()
        try:
            with open(os.path.join(root, file), "rb") as f:
                # sized by the file: `read(4 MiB)` allocates 4 MiB per file, 50 µs each, and
                # a no-op build may print the recorded errors of hundreds of failed specs
                size = os.fstat(f.fileno()).st_size
                data = f.read(min(size + 1, SNIPPET_READ) if size else SNIPPET_READ)
        except OSError:
            return None
        return data.decode("utf-8", "replace").splitlines()


def _span(source: str, column: int | None) -> tuple[int, int]:
    """Where the caret goes: the column, else the value of a `key: value` line, else the text."""
    if column is not None:
        return max(0, column - 1), 1
    body = source.lstrip(" \t")
    start = len(source) - len(body)
    if body.startswith("- "):
        start, body = start + 2, body[2:]
    key, sep, value = body.partition(": ")
    if sep and value.strip() and " " not in key:
        skip = len(key) + 2 + (len(value) - len(value.lstrip()))
        start, body = start + skip, value.strip()
    return start, min(len(body.rstrip()), SNIPPET_WIDTH - start)


def write_line(text: str, stream: IO[str]) -> None:
    """Print a line; a closed pipe (`skillforge build --explain | head -1`) ends the printing,
    never the command: the build goes on publishing, and exits as it would have."""
    try:
        print(text, file=stream)
        if stream is sys.stdout or stream is sys.stderr:
            stream.flush()  # a closed reader shows now, not in Python's flush at exit
    except BrokenPipeError:
        silence(stream)


def silence(stream: IO[str]) -> None:
    """Point a closed stream's file at /dev/null, so later writes (and the flush at exit) pass."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (tests' StringIO): nothing to flush at exit


def encode_json(value: Any) -> str:
    """Encode a report as JSON, as `json.dumps(value)` does (the same text).

    A small report (a no-op's) is encoded here, `json` imported only when a string needs it;
    one that lists many paths (a cold build of 5,000 outputs: 34,000 values, some 50 ms in
    Python) goes to `json`'s C encoder."""
    if isinstance(value, dict) and _listed(value) > _IN_PYTHON:
        import json

        return json.dumps(value)
    return _encoded(value)


# The most paths, drops and reasons a report lists that `encode_json` encodes in Python
_IN_PYTHON = 64


def _listed(report: dict[Any, Any]) -> int:
    """How many entries the lists and tables of a report hold, at its first two levels."""
    count = 0
    for entry in report.values():
        if isinstance(entry, list | dict):
            count += len(entry)
            if isinstance(entry, dict):
                count += sum(len(v) for v in entry.values() if isinstance(v, list | dict))
    return count


def _encoded(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_encoded(k)}: {_encoded(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_encoded(v) for v in value) + "]"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    plain = isinstance(value, str) and value.isascii() and value.isprintable()
    if plain and '"' not in value and "\\" not in value:
        return f'"{value}"'
    import json

    return json.dumps(value)


# Written outputs a plain build names, one per line; the rest are counted (all with -v or
# --explain).
LISTED = 20


class PlainReporter(Reporter):
    """Plain lines for logs and CI: problems as they come, a summary at the end."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        quiet: bool = False,
        explain: bool = False,
        verbose: bool = False,
        dry_run: bool = False,
        root: str | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self.err = stream or sys.stderr
        self.snippets = Snippets(root)
        self.quiet = quiet
        self.explain = explain
        self.verbose = verbose
        self.verb = "would write" if dry_run else "wrote"
        self.listed = 0
        self.unlisted = 0
        self.problems: list[Problem] = []

    def written(self, path: str, reasons: list[str]) -> None:
        if self.quiet:
            return
        if self.explain:
            self.say(f"{self.verb} {path}: {'; '.join(reasons)}")
        elif self.verbose or self.listed < LISTED:
            self.listed += 1
            self.say(f"{self.verb} {path}")
        else:
            self.unlisted += 1

    def removed(self, path: str, why: str = GONE) -> None:
        if not self.quiet:
            verb = "would remove" if self.verb == "would write" else "removed"
            self.say(f"{verb} {path} ({why})")

    def problem(self, problem: Problem) -> None:
        if problem.severity == "warning" and self.quiet:
            return
        self.problems.append(problem)  # printed at the end, each once (see `grouped`)

    def finish(self, report: BuildReport) -> None:
        first = True
        for problem, count in grouped(self.problems):
            lines = [headline(problem, count), *self.snippets.lines(problem)]
            if first and problem.severity == "error":
                lines.append(read_more(problem))
                first = False
            write_line("\n".join(lines), self.err)
        if self.quiet:
            return
        if self.unlisted:
            self.say(f"... and {self.unlisted:,} more")
        if self.explain and report.specs_replayed:
            self.say(report.replayed_line())
        self.say(report.summary())

    def say(self, line: str) -> None:
        """Print a line on stdout."""
        write_line(line, self.stream)


class JsonReporter(Reporter):
    """Prints nothing until the end, then the report as one JSON object on stdout."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def finish(self, report: BuildReport) -> None:
        write_line(encode_json(report.to_json()), self.stream)
