"""The one interface every command prints through: a base class whose events do nothing.

A reporter receives events as a command runs and decides what the user sees. Subclass
`Reporter` and override the events you show; the others stay silent. The engine and the
commands never print: they call a reporter. Light (the no-op path prints through one).

The implementations: `plain.PlainReporter` and `plain.JsonReporter` (build, and the lines of
init and clean), `terminal.RichReporter` (build on a terminal), `watch.WatchReporter` and its
JSON and Rich kinds (one line per rebuild), `check.CheckReporter` and its JSON and GitHub
kinds (the findings of check).
"""

from __future__ import annotations

from skillforge.errors import Problem
from skillforge.report.model import BuildReport, CheckReport

# why an output was removed (the reporters print it beside the path)
GONE = "its spec is gone"
NOT_PRODUCED = "its spec no longer produces it"
NOT_IN_FILES = "no longer in its spec's files"
NO_PLUGIN = "no plugin of the config makes it"  # a plugin manifest (DESIGN §4.1)


class Reporter:
    """Receive a command's events; every event is a no-op here, so a subclass shows only its own."""

    def start(self, dirty: int) -> None:
        """A build begins: `dirty` specs are to be rendered."""

    def advance(self, spec: str) -> None:
        """One spec has been rendered."""

    def written(self, path: str, reasons: list[str]) -> None:
        """An output was written (or would be, in a dry run), for these reasons."""

    def removed(self, path: str, why: str = GONE) -> None:
        """An output was removed, for the reason `why` (GONE, NOT_PRODUCED, NOT_IN_FILES,
        NO_PLUGIN)."""

    def problem(self, problem: Problem) -> None:
        """A spec, template or config problem (an error or a warning)."""

    def publishing(self) -> None:
        """Rendering is done; the outputs and the manifest are being written now."""

    def finish(self, report: BuildReport) -> None:
        """The build is over; `report` says what it did."""

    def checked(self, report: CheckReport) -> None:
        """A check is over; `report` holds its findings and problems."""

    def say(self, line: str) -> None:
        """One line of a command's own output (what init created, what clean removed)."""
