"""Whether output goes to a terminal: the one test every reporter chooser uses.

Light: standard library only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO


def is_terminal(stream: IO[str] | None = None) -> bool:
    """True when output goes to stdout on a terminal that can show Rich's colours and bars.

    A `stream` given by the caller (a test, a file) is never a terminal; `TERM=dumb` (Emacs
    shells, some CI logs) cannot redraw a progress bar.
    """
    return stream is None and sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
