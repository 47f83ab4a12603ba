"""Hold off Python's cyclic garbage collector while a step makes objects that all live on.

Reading or writing the records of 10,000 specs makes some 100,000 tuples, lists and dicts
that stay alive: each batch of them starts a collection that walks every object made so far,
again and again for nothing (half the time of a manifest write at 10,000 specs). Nothing these
steps make is a cycle to collect. Standard library only: the no-op path uses it.
"""

from __future__ import annotations

import gc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType


class NoCycles:
    """`with NoCycles():` runs its block with the collector off, then puts it back as it was
    (nested blocks, or a caller that turned it off, keep it off)."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = False

    def __enter__(self) -> None:
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.enabled:
            gc.enable()
