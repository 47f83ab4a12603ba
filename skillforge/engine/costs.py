"""What one output costs in context: token estimates, body lines, its listing entry (DESIGN §7).

Built while a spec renders (render.py) from counts cached with the section texts, kept per
output between builds (buildlog.py), and judged against the budgets (budgets.py). What a
listing entry says, and where it is cut, is the target's (`Target.listing`).
"""

from __future__ import annotations

from skillforge.state.plain import Plain


class OutputCost(Plain):
    """Token estimates (cl100k_base) and sizes of one generated document.

    `metadata_tokens`: name + description (+ when_to_use), paid in every session;
    `body_tokens`: the sections with their headings, paid when the file loads; `files_tokens`:
    the supporting (text) files; `name_tokens`: what a listing shows of a skill whose
    description was dropped; `entry_chars`: the listing entry, uncut; `listing_tokens`: the
    entry as the tool shows it (cut if too long); `cut_text`: the start of what the cut loses.
    """

    def __init__(
        self,
        path: str,
        spec: str,
        kind: str,
        name: str,
        metadata_tokens: int,
        body_tokens: int,
        files_tokens: int,
        body_lines: int,
        description_chars: int,
        description_file: str = "",
        description_line: int | None = None,
        name_tokens: int = 0,
        entry_chars: int = 0,
        listing_tokens: int = 0,
        cut_text: str = "",
    ) -> None:
        self.path = path
        self.spec = spec
        self.kind = kind
        self.name = name
        self.metadata_tokens = metadata_tokens
        self.body_tokens = body_tokens
        self.files_tokens = files_tokens
        self.body_lines = body_lines
        self.description_chars = description_chars
        self.description_file = description_file
        self.description_line = description_line
        self.name_tokens = name_tokens
        self.entry_chars = entry_chars
        self.listing_tokens = listing_tokens
        self.cut_text = cut_text

    def to_raw(self) -> list[object]:
        return [
            self.spec,
            self.kind,
            self.name,
            self.metadata_tokens,
            self.body_tokens,
            self.files_tokens,
            self.body_lines,
            self.description_chars,
            self.description_file,
            self.description_line,
            self.name_tokens,
            self.entry_chars,
            self.listing_tokens,
            self.cut_text,
        ]

    @classmethod
    def from_raw(cls, path: str, raw: list[object]) -> OutputCost:
        return cls(path, *raw)  # type: ignore[arg-type]

    def as_json(self) -> dict[str, object]:
        """The `outputs` entry of `stats --json` (DESIGN §6), plus a few fields."""
        return {
            "path": self.path,
            "spec": self.spec,
            "kind": self.kind,
            "metadata_tokens": self.metadata_tokens,
            "body_tokens": self.body_tokens,
            "files_tokens": self.files_tokens,
            "body_lines": self.body_lines,
            "description_chars": self.description_chars,
        }


def one_line(value: object) -> str:
    """A description as the frontmatter emits it: folded onto one line."""
    text = str(value)
    return " ".join(text.split()) if "\n" in text else text
