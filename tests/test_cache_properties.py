"""Property test: whatever templates and fragment arguments, a cached build is a fresh render.

Random projects call random fragments with random arguments (lists, generator filters, maps in
either key order, tuples, macros, spec and vars fields), are built (cold, then after random
edits of fragments, macros and vars) and every output is compared with a render of the same
files through a store that never answers (all caches disabled). `make fuzz` runs many more
examples (SKILLFORGE_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from helpers import build_file_tree, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillforge.cache.local import Store
from skillforge.engine.load.config import load_config
from skillforge.engine.start import scan_project
from skillforge.engine.workers import render_specs

EXAMPLES = int(os.environ.get("SKILLFORGE_FUZZ_EXAMPLES", "20"))

FRAGMENTS = {
    "list": [
        "{% for i in items %}{{ i }},{% endfor %}",
        "{{ items|list|length }}:{% for i in items %}[{{ i }}]{% endfor %}",
        "{% for i in items %}{{ loop.index }}={{ i }} {% endfor %}|{{ items|join('+') }}",
    ],
    "show": [
        "{{ x }}",
        "<{{ x }}>",
        "{% if x is mapping %}{% for k, v in x.items() %}{{ k }}={{ v }};{% endfor %}"
        "{% else %}{{ x }}{% endif %}",
    ],
    "call": ["({{ m() }})", "[{{ m() }}|{{ m()|upper }}]", "{{ m() ~ '!' }}"],
}
ITEMS = [
    "[1, 2]",
    "['a', 'b']|map('upper')",
    "range(6)|select('odd')",
    "['b', 'a', 'b']|unique",
    "[w]|map('upper')",
    "[spec.name, vars.topic]|map('upper')",
    "vars.things",
    "vars.pairs|map(attribute='n')",
    "vars.d|dictsort|map('first')",
    "(w, w)",
]
SHOW = [
    "{'a': 1, 'b': 2}",
    "{'b': 2, 'a': 1}",
    "vars.d",
    "vars.topic",
    "spec.name",
    "3.5",
    "none",
    "(1, 'x')",
    "w",
    "[w]|map('upper')",
    "m",
]
TOPICS = ["safety", "speed", "SAFETY"]
ITEM_LISTS = [["x", "y"], ["y", "x"], [1, 2, 3]]
ORDERS = ["{a: 1, b: 2}", "{b: 2, a: 1}", "{a: 2, b: 1}"]

calls = st.one_of(
    st.sampled_from(ITEMS).map(lambda a: f"{{{{ fragment('list', items={a}) }}}}"),
    st.sampled_from(SHOW).map(lambda a: f"{{{{ fragment('show', x={a}) }}}}"),
    st.just("{{ fragment('call', m=m) }}"),
)
bodies = st.lists(calls, min_size=1, max_size=3).map(
    lambda cs: "{% for w in ['p', 'q'] %}" + " ".join(cs) + "\n{% endfor %}"
)
project_specs = st.lists(
    st.tuples(bodies, st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    min_size=1,
    max_size=3,
)
fragment_choice = st.fixed_dictionaries(
    {k: st.integers(0, len(v) - 1) for k, v in FRAGMENTS.items()}
)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("fragment"), st.sampled_from(sorted(FRAGMENTS)), st.integers(0, 2)),
        st.tuples(st.just("macro"), st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.just("topic"), st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.just("items"), st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.just("order"), st.integers(0, 2), st.integers(0, 2)),
    ),
    max_size=3,
)


def spec_text(i: int, body: str, macro: int, topic: int, items: int, order: int) -> str:
    source = "{% macro m() %}M-{{ vars.topic }}-v" + str(macro) + "{% endmacro %}" + body
    return (
        f"kind: skill\nname: s{i}\ndescription: Spec {i}. Use when testing.\n"
        f"vars:\n  topic: {TOPICS[topic]}\n  things: {ITEM_LISTS[items]}\n"
        f"  d: {ORDERS[order]}\n  pairs: [{{n: 1}}, {{n: 2}}]\n"
        f"sections:\n  - id: s\n    body: {_quoted(source)}\n"
    )


def _quoted(text: str) -> str:
    import json

    return json.dumps(text)


class NoCache(Store):
    """A store that never answers and keeps nothing: every layer renders."""

    def get(self, key: str) -> Any:
        return None

    def set(self, key: str, value: Any) -> None:
        pass


def uncached(root: Path) -> dict[str, bytes]:
    """Every output of the project at `root`, rendered with all caches disabled."""
    config = load_config(root / ".skillforge.toml")
    inventory = scan_project(config)
    store = NoCache(root / "no-cache", 0, lambda _: None, read_only=True)
    batch = render_specs(
        config, inventory, store, sorted(inventory.specs), {}, False, lambda _: None
    )
    assert not batch.failed, batch.failed
    return {out.path: out.data for r in batch.results.values() for out in r.outputs}


def assert_fresh(root: Path) -> None:
    result = run(root, "build", "-q")
    assert result.code == 0, result
    expected = uncached(root)
    assert expected
    for path, data in expected.items():
        assert (root / path).read_bytes() == data, path


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(project_specs, fragment_choice, edits)
def test_cached_builds_equal_uncached_renders(
    specs: list[tuple[str, int, int, int, int]],
    fragments: dict[str, int],
    changes: list[tuple[str, Any, int]],
) -> None:
    root = Path(tempfile.mkdtemp(prefix="sf-props-"))
    try:
        state = [list(s) for s in specs]
        chosen = dict(fragments)

        def write() -> None:
            files = {".skillforge.toml": "[build]\njobs = 1\n"}
            for name, index in chosen.items():
                files[f"templates/fragments/{name}.md.j2"] = FRAGMENTS[name][index]
            for i, (body, macro, topic, items, order) in enumerate(state):
                files[f"specs/s{i}.yaml"] = spec_text(i, body, macro, topic, items, order)
            build_file_tree(root, files)

        write()
        assert_fresh(root)
        fields = {"macro": 1, "topic": 2, "items": 3, "order": 4}
        for kind, target, value in changes:
            if kind == "fragment":
                chosen[target] = value % len(FRAGMENTS[target])
            else:
                state[target % len(state)][fields[kind]] = value
            write()
            assert_fresh(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
