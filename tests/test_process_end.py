"""A `build` or `check` process ends without Python's teardown, after what it would flush."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import project

# Run as the installed command does: `main()` with the process's own arguments. An atexit
# function, and `os._exit` noting its call, show which way the process ended.
SCRIPT = r"""
import atexit, os, sys
{before}
real_exit = os._exit
def noted_exit(code):
    os.write(2, b"SHORT %d\n" % code)
    real_exit(code)
os._exit = noted_exit
atexit.register(lambda: print("ATEXIT", file=sys.stderr))
from skillforge.cli.main import main
sys.argv = ["skillforge", *{args!r}]
sys.exit(main())
"""


def _run(root: Path, *args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(before=before, args=list(args))
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    report = json.loads(done.stdout)
    report.pop("duration_ms")
    report.pop("timings", None)
    return report  # type: ignore[no-any-return]


@pytest.mark.parametrize("command", ["build", "check"])
def test_the_process_skips_the_teardown_and_reports_what_the_usual_end_reports(
    tmp_path: Path, command: str
) -> None:
    short, usual = tmp_path / "short", tmp_path / "usual"
    for root in (short, usual):
        project(root)
        if command == "check":
            assert _run(root, "build", "-q").returncode == 0
    args = ["--json"] if command == "build" else []
    fast = _run(short, command, *args)
    # a module that may hold worker processes: the process ends the usual way
    slow = _run(usual, command, *args, before="import multiprocessing")
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert "ATEXIT" in fast.stderr and fast.stderr.endswith("SHORT 0\n")
    assert "ATEXIT" in slow.stderr and "SHORT" not in slow.stderr
    if command == "check":
        # the whole report, flushed (but its duration)
        assert fast.stdout.rsplit(" in ", 1)[0] == slow.stdout.rsplit(" in ", 1)[0]
        assert fast.stdout.startswith("check passed") and fast.stdout.endswith("s\n")
    else:
        assert _report(fast) == _report(slow)
        written = sorted(str(p.relative_to(short)) for p in (short / ".claude").rglob("*.md"))
        assert written == sorted(
            str(p.relative_to(usual)) for p in (usual / ".claude").rglob("*.md")
        )
        for rel in written:
            assert (short / rel).read_bytes() == (usual / rel).read_bytes()
        again = _run(short, "build", "--json")  # the cache and manifest were all written
        assert again.returncode == 0 and json.loads(again.stdout)["written"] == []


def test_a_failed_build_keeps_its_exit_code_and_its_messages(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/broken.yaml": "kind: skill\nname: [unclosed\n"})
    done = _run(tmp_path, "build")
    assert done.returncode == 1
    assert "broken.yaml" in done.stderr and "ATEXIT" in done.stderr
    assert done.stderr.endswith("SHORT 1\n")


def test_a_thread_still_running_gets_the_usual_end(tmp_path: Path) -> None:
    project(tmp_path)
    # the thread outlives the build: 2 s, not less (a loaded machine took a cold build of this
    # project past 0.5 s, and the thread had ended when the build looked)
    before = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(2), print('JOINED', file=sys.stderr)))"
        ".start()"
    )
    done = _run(tmp_path, "build", "-q", before=before)
    assert done.returncode == 0
    assert "JOINED" in done.stderr and "SHORT" not in done.stderr
