from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see plain output; a developer's NO_COLOR or TERM must not change it."""
    monkeypatch.setenv("TERM", "dumb")
