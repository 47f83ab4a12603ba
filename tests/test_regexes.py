"""The compiled regular expressions kept between runs (skillforge/state/regexes.py).

Each test runs real interpreters: `re`'s cache is per process, and what matters is what the
next process does with the file the last one wrote.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import project

from skillforge.state.digest import blake2b
from skillforge.state.regexes import DIGEST_SIZE, FORMAT, _header


def _env(xdg: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(xdg), "PYTHONDONTWRITEBYTECODE": "1"}


def _python(xdg: Path, code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=_env(xdg), cwd=cwd, capture_output=True, text=True
    )


def _build(root: Path, xdg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--force"],
        env=_env(xdg),
        cwd=root,
        capture_output=True,
        text=True,
    )


def _file(xdg: Path) -> Path:
    return xdg / "skillforge" / f"regex-{sys.implementation.cache_tag}.bin"


# After `RegexCache.warm()`: how many programs the file gave, and how many patterns the
# imports of the engine still had to compile.
WARM_THEN_IMPORT = """
import json
from skillforge.state.regexes import RegexCache, cache_file
cache = RegexCache(cache_file())
accepted = cache.warm()
import jinja2, skillforge.engine.build, skillforge.engine.workers
print(json.dumps({"accepted": accepted, "compiled": len(cache.new)}))
"""


def _outputs(root: Path) -> dict[str, bytes]:
    out = root / ".claude"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_build_keeps_the_programs_and_the_next_run_compiles_none_of_them(
    tmp_path: Path,
) -> None:
    root, xdg = project(tmp_path / "p"), tmp_path / "xdg"
    assert _build(root, xdg).returncode == 0
    path = _file(xdg)
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    done = _python(xdg, WARM_THEN_IMPORT)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["accepted"] >= 20  # Jinja2's lexer at least (a build reads specs without PyYAML)
    assert counts["compiled"] == 0


def test_the_kept_programs_are_the_ones_re_builds(tmp_path: Path) -> None:
    """Every program in the file equals what this Python's `re` compiles from the pattern."""
    root, xdg = project(tmp_path / "p"), tmp_path / "xdg"
    assert _build(root, xdg).returncode == 0
    code = f"""
import json, re
from skillforge.state.regexes import RegexCache, _read
kept = _read({str(_file(xdg))!r})
fresh = RegexCache({str(tmp_path / "none.bin")!r})
fresh.warm()  # nothing to read: it only records
re.purge()
same = differ = 0
for (kind, pattern, flags), args in kept.items():
    re.compile(pattern, flags)
    if fresh.new.get((kind, pattern, flags)) == args:
        same += 1
    else:
        differ += 1
print(json.dumps({{"same": same, "differ": differ}}))
"""
    done = _python(xdg, code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"same": len(_read_rows(xdg)), "differ": 0}


def _read_rows(xdg: Path) -> list[Any]:
    body = _file(xdg).read_bytes()[DIGEST_SIZE:]
    rows: list[Any] = marshal.loads(body)[2]
    return rows


def _forge(xdg: Path, header: tuple[Any, ...], rows: list[Any]) -> None:
    body = marshal.dumps((FORMAT, header, rows))
    path = _file(xdg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blake2b(body, digest_size=DIGEST_SIZE).digest() + body)
    path.chmod(0o600)


def test_a_damaged_file_is_ignored_and_written_anew(tmp_path: Path) -> None:
    root, xdg = project(tmp_path / "p"), tmp_path / "xdg"
    assert _build(root, xdg).returncode == 0
    clean = _outputs(root)
    data = bytearray(_file(xdg).read_bytes())
    data[len(data) // 2] ^= 0x40
    _file(xdg).write_bytes(bytes(data))
    done = _python(xdg, WARM_THEN_IMPORT)
    assert json.loads(done.stdout)["accepted"] == 0
    # a cold build again: one that renders a template imports Jinja2 (a build whose sections
    # are all cached or plain never does, and leaves the lexer's patterns out of the file)
    shutil.rmtree(root / ".skillforge")
    assert _build(root, xdg).returncode == 0
    assert _outputs(root) == clean
    again = json.loads(_python(xdg, WARM_THEN_IMPORT).stdout)
    assert again["accepted"] >= 20 and again["compiled"] == 0


def test_another_pythons_file_is_not_read(tmp_path: Path) -> None:
    root, xdg = project(tmp_path / "p"), tmp_path / "xdg"
    assert _build(root, xdg).returncode == 0
    rows = _read_rows(xdg)
    _forge(xdg, ("2.7.18 (default)", *_header()[1:]), rows)
    assert json.loads(_python(xdg, WARM_THEN_IMPORT).stdout)["accepted"] == 0


def test_a_program_the_matcher_refuses_is_compiled_again(tmp_path: Path) -> None:
    """A file with a valid digest and header but a broken program: `re` still works."""
    xdg = tmp_path / "xdg"
    pattern = r"sk(il+)forge"
    _forge(xdg, _header(), [(False, pattern, 0, (pattern, 32, [1, 2, 3], 1, {}, (None, None)))])
    code = f"""
import re
from skillforge.state.regexes import RegexCache, cache_file
cache = RegexCache(cache_file())
print(cache.warm(), re.compile({pattern!r}).search("a skillforge b").group(1))
"""
    done = _python(xdg, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "ill"]


def test_a_file_others_may_write_is_not_read(tmp_path: Path) -> None:
    root, xdg = project(tmp_path / "p"), tmp_path / "xdg"
    assert _build(root, xdg).returncode == 0
    _file(xdg).chmod(0o620)
    assert json.loads(_python(xdg, WARM_THEN_IMPORT).stdout)["accepted"] == 0


def test_outputs_are_the_same_with_and_without_the_kept_programs(tmp_path: Path) -> None:
    root, xdg = project(tmp_path / "p", skills=3, agents=2), tmp_path / "xdg"
    assert not _file(xdg).exists()
    assert _build(root, xdg).returncode == 0  # compiles every pattern, keeps them
    cold = _outputs(root)
    assert _file(xdg).is_file()
    assert _build(root, xdg).returncode == 0  # every pattern from the file
    assert _outputs(root) == cold


def test_recording_stops_after_the_command(tmp_path: Path) -> None:
    """`re` is left as it was: its compiler's own functions, and a pattern compiled after the
    command is not recorded."""
    code = f"""
import re, re._compiler as compiler
before = (compiler.compile, compiler._sre)
from skillforge.state.regexes import RegexCache
with RegexCache({str(tmp_path / "r.bin")!r}) as cache:
    re.compile("during(x)")
after = (compiler.compile, compiler._sre)
re.compile("after(y)")
print(before == after, [k[1] for k in cache.entries], len(cache.new))
"""
    done = _python(tmp_path / "xdg", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True ['during(x)'] 0"


def test_threads_compiling_at_once_each_record_their_own_program(tmp_path: Path) -> None:
    """`watch` compiles on several threads: a program is recorded under its own pattern and
    flags, never another thread's."""
    code = f"""
import re, threading
from skillforge.state.regexes import RegexCache
flags = [0, re.IGNORECASE, re.MULTILINE, re.DOTALL]
with RegexCache({str(tmp_path / "r.bin")!r}) as cache:
    def work(f):
        for i in range(400):
            re.compile(f"pat{{i}}(x+)[a-z]*", f)
    threads = [threading.Thread(target=work, args=(f,)) for f in flags]
    for t in threads: t.start()
    for t in threads: t.join()
    new = dict(cache.new)
wrong = [k for k, args in new.items() if args[1] & k[2] != k[2] or args[0] != k[1]]
print(len(new), len(wrong))
"""
    done = _python(tmp_path / "xdg", code)
    assert done.returncode == 0, done.stderr
    recorded, wrong = map(int, done.stdout.split())
    assert recorded == 1600 and wrong == 0
