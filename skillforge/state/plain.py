"""Plain data classes: compared, printed and copied by their attributes.

The engine's records (a spec, the config, a template's closure, a batch of results) are plain
classes with a written `__init__`, not dataclasses: importing `dataclasses` costs every
process about 25 ms (it imports `inspect`, hence `ast`, `dis` and `tokenize`), and each
decorated class compiles its generated methods at import time. That is a tenth of a
one-section edit. Standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Self


class Plain:
    """Equal when of one type with equal attributes (those named `_...` are private caches,
    neither compared, printed nor copied); `replace` makes a changed copy through
    `__init__`, as `dataclasses.replace` does."""

    __hash__ = None  # type: ignore[assignment]  # mutable values: like an unfrozen dataclass

    def fields(self) -> dict[str, Any]:
        """The public attributes, in the order `__init__` set them."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.fields() == other.fields()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields().items())
        return f"{type(self).__name__}({inner})"

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes`, made by `__init__` (so private caches start empty)."""
        return type(self)(**{**self.fields(), **changes})
