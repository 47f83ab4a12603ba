"""The errors skillforge reports to users; the CLI boundary turns them into exit codes.

Plain classes (no dataclasses): this module is on the no-op fast path.
"""

from __future__ import annotations


class SkillforgeError(Exception):
    """Base of every error a user can fix; carries the exit code it maps to."""

    exit_code = 1


class UsageError(SkillforgeError):
    """A command was called wrongly."""

    exit_code = 2


class ConfigError(SkillforgeError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class Problem:
    """One problem found in a spec, a template or an output: where it is and what to do."""

    __slots__ = ("column", "field", "file", "hint", "line", "message", "severity")

    def __init__(
        self,
        file: str,
        line: int | None,
        field: str | None,
        message: str,
        severity: str = "error",
        *,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        self.severity = severity
        self.column = column  # 1-based, when the parser knows it (the caret goes there)
        self.hint = hint  # what to do, printed under the source line

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.file!r}, {self.line!r}, {self.field!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.field, self.message))

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape of DESIGN §6 (`errors` and `warnings` entries), plus `column`
        and `hint` when known."""
        data: dict[str, object] = {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }
        if self.column is not None:
            data["column"] = self.column
        if self.hint is not None:
            data["hint"] = self.hint
        return data


class SpecError(SkillforgeError):
    """One or more problems in a spec (or a file it pulls in); the spec is not built."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @classmethod
    def one(
        cls,
        file: str,
        line: int | None,
        field: str | None,
        message: str,
        *,
        column: int | None = None,
        hint: str | None = None,
    ) -> SpecError:
        """Build an error holding a single problem."""
        return cls([Problem(file, line, field, message, column=column, hint=hint)])


def hint(word: str, choices: list[str] | tuple[str, ...] | frozenset[str] | set[str]) -> str:
    """Return ' (did you mean 'x'?)' when `word` looks like a typo of one of `choices`."""
    from difflib import get_close_matches

    # 0.8, as pypa/build's _find_typo: at 0.6, `tags` and `risk` were "did you mean 'traits'?"
    match = get_close_matches(word, sorted(choices), n=1, cutoff=0.8)
    if not match:  # swapped letters score low (`nmae` is 0.5 of `name`) but are typos
        match = [c for c in sorted(choices) if len(word) > 2 and sorted(c) == sorted(word)][:1]
    return f" (did you mean '{match[0]}'?)" if match else ""
