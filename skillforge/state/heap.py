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
    from collections.abc import Callable
    from types import TracebackType
    from typing import ParamSpec, TypeVar

    P = ParamSpec("P")
    R = TypeVar("R")


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
        if _ONE_SHOT:
            # what the block made lives until the process ends: moved out of the collector's
            # generations, the next collections do not walk it (they would, all of it, once
            # per generation: 30-40 ms after reading the manifest of 10,000 specs)
            gc.freeze()
        if self.enabled:
            gc.enable()


# A one-shot command (`build`, `check`) makes some 250,000 tracked objects per 1,000 specs, and
# most of them live until it ends (specs, documents, records). With Python's thresholds
# (700, 10, 10) the collector ran about 400 times in a cold build of 1,000 specs and walked
# the survivors again and again: 150-200 ms. These still collect young cycles every 10,000
# allocations (16 times), and the older generations rarely: 60 ms, the same peak memory.
ONE_SHOT_THRESHOLDS = (10_000, 50, 100)
_ONE_SHOT = False  # set by `one_shot`: `NoCycles` then freezes what its block made


def one_shot() -> None:
    """Tune the collector for a process that ends with its command: the `build` or `check`
    process itself (`cli/main.py`), never `watch` nor a caller that goes on after it (a
    frozen object in a cycle is never collected). Forked render workers inherit it."""
    global _ONE_SHOT
    _ONE_SHOT = True
    gc.set_threshold(*ONE_SHOT_THRESHOLDS)


def keep(*objects: object) -> None:
    """In a one-shot process, hold `objects` until it ends (`os._exit`: nothing is freed).

    A no-op of 10,000 specs lets go of 20,000 stat results and the lists, tuples and strings
    made from them: freeing them one by one costs a tenth of its instructions, for nothing
    when the process ends right after. Elsewhere (`watch`, a test) this does nothing."""
    if _ONE_SHOT:
        _KEPT.append(objects)


_KEPT: list[tuple[object, ...]] = []  # what `keep` holds


def without_cycles(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate `func` to run with the collector off, as in `with NoCycles():`."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with NoCycles():
            return func(*args, **kwargs)

    run.__name__, run.__qualname__, run.__doc__ = func.__name__, func.__qualname__, func.__doc__
    run.__wrapped__ = func  # type: ignore[attr-defined]
    return run
