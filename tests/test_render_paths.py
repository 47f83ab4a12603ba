"""The render's short paths give what the long ones give: Jinja2 contexts, fragment calls,
inline closures, canonical keys and the chunks of a parallel render."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, build_json, run

from skillforge.cache.local import Store
from skillforge.engine.jinja.context import RenderContext
from skillforge.engine.load.config import load_config
from skillforge.engine.start import scan_project
from skillforge.engine.workers import CHUNK, LAST_CHUNK, split
from skillforge.state.digest import canonical


def _skill(template: str) -> str:
    return (
        "kind: skill\nname: probe\ndescription: Probes.\n"
        f"sections:\n  - id: a\n    template: {template}\n"
    )


def _body(root: Path) -> str:
    text = (root / ".claude/skills/probe/SKILL.md").read_text()
    return text.split("---\n", 2)[2]


def test_repeated_fragment_calls_tell_apart_equal_values_of_other_types(tmp_path: Path) -> None:
    # True == 1 and 0.0 == -0.0, but each renders its own text
    calls = ["True", "1", "True", "0.0", "-0.0", "0.0", "none", "none"]
    args = ", ".join(f"fragment('show', v={c})" for c in calls)
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/probe.yaml": _skill("sections/calls.md.j2"),
            "templates/sections/calls.md.j2": f"{{{{ [{args}] | join }}}}\n",
            "templates/fragments/show.md.j2": "[{{ v }}]",
        },
    )
    report = build_json(tmp_path)
    assert "[True][1][True][0.0][-0.0][0.0][None][None]" in _body(tmp_path)
    # rendered once each: True, 1, 0.0, -0.0, none; the repeats come from the caches
    assert report["fragments"] == {"rendered": 5, "cached": 3}


def test_a_fragment_called_in_a_loop_gets_only_its_own_arguments(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/probe.yaml": _skill("sections/loop.md.j2"),
            "templates/sections/loop.md.j2": (
                "{% for i in [1, 2] %}{% set x = i %}{{ fragment('probe', n=x) }}{% endfor %}\n"
            ),
            "templates/fragments/probe.md.j2": (
                "<{{ n }} {{ _loop_vars is defined }} {{ x is defined }}>"
            ),
        },
    )
    build_json(tmp_path)
    assert "<1 False False><2 False False>" in _body(tmp_path)


def test_an_error_in_a_fragment_names_the_fragments_line(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/probe.yaml": _skill("sections/bad.md.j2"),
            "templates/sections/bad.md.j2": "one\ntwo\n{{ fragment('f', x=1) }}\n",
            "templates/fragments/f.md.j2": "a\n{{ x.nope.deeper }}\n",
        },
    )
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "templates/fragments/f.md.j2:2" in result.err
    assert "Traceback" not in result.err


def test_a_template_with_globals_of_its_own_still_sees_them(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": ""})
    config = load_config(tmp_path / ".skillforge.toml")
    store = Store(config.cache_dir, 0, lambda _: None, read_only=True)
    ctx = RenderContext(config, scan_project(config), store)
    own = ctx.env.from_string("{{ mine }} {{ range(2) | list }}", globals={"mine": "M"})
    assert ctx.limits.render(own, {}) == "M [0, 1]"
    plain = ctx.env.from_string("{{ range(2) | list }} {{ v }}")
    assert ctx.limits.render(plain, {"v": 1}) == "[0, 1] 1"
    store.close()


def test_an_inline_closure_follows_an_edit_of_what_it_includes(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {".skillforge.toml": "", "templates/sections/part.md.j2": "Part one.\n"},
    )
    config = load_config(tmp_path / ".skillforge.toml")
    store = Store(config.cache_dir, 0, lambda _: None, read_only=True)
    ctx = RenderContext(config, scan_project(config), store)
    source = '{% include "sections/part.md.j2" %}'
    before = ctx.library.closure_of_source(source, "a")
    assert ctx.library.closure_of_source(source, "b") is before  # kept by its source
    (tmp_path / "templates/sections/part.md.j2").write_text("Part two.\n")
    ctx.forget({"sections/part.md.j2"})
    after = ctx.library.closure_of_source(source, "a")
    assert after.digest != before.digest
    store.close()


def test_canonical_forgets_a_failed_encode() -> None:
    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    value: list[Any] = [[1], Unprintable()]
    with pytest.raises(RuntimeError):
        canonical(value)
    value.pop()
    assert canonical(value) == "[[1]]"  # not "circular reference" from the failed one
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular"):
        canonical(looped)


def test_canonical_in_another_thread_writes_the_same() -> None:
    value = ("k", {"a": [1, 2.5, None, True], "é": float("nan")}, ("t",))
    found: list[str] = []
    thread = threading.Thread(target=lambda: found.append(canonical(value)))
    thread.start()
    thread.join()
    assert found == [canonical(value)] == ['["k",{"a":[1,2.5,null,true],"é":NaN},["t"]]']


@pytest.mark.parametrize(
    ("specs", "jobs"), [(1000, 2), (10_000, 2), (1000, 8), (100, 2), (65, 2), (64, 8), (5, 4)]
)
def test_the_chunks_of_a_parallel_render_shrink_towards_the_end(specs: int, jobs: int) -> None:
    ids = [f"specs/s{i}.yaml" for i in range(specs)]
    chunks = split(ids, jobs)
    assert [s for chunk in chunks for s in chunk] == ids
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= CHUNK + LAST_CHUNK
    assert all(size == CHUNK for size in sizes[: min(jobs, len(sizes) - 1)])
    if specs >= jobs * CHUNK * 4:
        assert sizes[-1] < CHUNK // 4 and sizes[-3] < CHUNK // 2
        assert len(chunks) < specs / CHUNK + 4 * jobs * 2


def test_the_loop_variable_reads_as_in_jinjas_sandbox() -> None:
    import jinja2.sandbox

    from skillforge.engine.jinja.sandbox import _LOOP_NAMES, ENV_OPTIONS, TemplateSandbox

    names = [*sorted(_LOOP_NAMES), "cycle('a', 'b')", "changed(x)"]
    source = (
        "{% for x in [1, 1, 3] %}"
        + "".join(f"{{{{ loop.{n} }}}};" for n in names)
        + "\n{% endfor %}"
    )
    ours = TemplateSandbox(**ENV_OPTIONS).from_string(source).render()
    theirs = jinja2.sandbox.SandboxedEnvironment(**ENV_OPTIONS).from_string(source).render()
    assert ours == theirs
    assert ours.count("\n") == 3 and "True" in ours


def test_a_check_s_workers_keep_their_cache_entries(tmp_path: Path) -> None:
    from skillforge.engine.workers import PARALLEL_FROM, render_parallel

    files = {".skillforge.toml": "", "templates/sections/t.md.j2": "T {{ spec.name }}.\n"}
    for i in range(PARALLEL_FROM):
        files[f"specs/s{i}.yaml"] = _skill("sections/t.md.j2").replace("probe", f"p{i}")
    build_file_tree(tmp_path, files)
    config = load_config(tmp_path / ".skillforge.toml")
    inventory = scan_project(config)
    ids = sorted(inventory.specs)
    for entries in (True, False):
        batch = render_parallel(
            config, inventory, ids, {}, False, 2, lambda _: None, True, None, entries
        )
        assert sorted(batch.results) == ids and not batch.failed
        assert bool(batch.entries) is entries
