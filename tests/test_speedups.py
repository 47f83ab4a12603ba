"""The shortcuts of issue 17 give the same results as the long way round."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import jinja2
import jinja2.environment
import pytest

from skillforge.cache.local import Store
from skillforge.engine.jinja.analysis import analyse
from skillforge.engine.jinja.sandbox import ENV_OPTIONS, TemplateSandbox
from skillforge.engine.load.yamlsafe import load_yaml
from skillforge.state import buildlog


def test_an_analysed_source_is_compiled_from_the_tree_the_analysis_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str | None] = []
    real = jinja2.environment.Parser

    class Counting(real):  # type: ignore[misc, valid-type]
        def parse(self) -> Any:
            parsed.append(self.name)
            return super().parse()

    monkeypatch.setattr(jinja2.environment, "Parser", Counting)
    env = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    source = "{% for i in range(3) %}{{ i }}-{{ spec.name }} {% endfor %}"
    assert analyse(env, source, "inline").reach == {"spec": ("name",)}
    assert env.from_string(source).render(spec={"name": "x"}) == "0-x 1-x 2-x "
    assert len(parsed) == 1
    # the tree is handed out once (compiling rewrites it): the next compile parses again
    assert env.from_string(source).render(spec={"name": "y"}) == "0-y 1-y 2-y "
    assert len(parsed) == 2


def test_a_syntax_error_found_by_the_analysis_keeps_no_tree() -> None:
    env = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    with pytest.raises(jinja2.TemplateSyntaxError):
        analyse(env, "{% for %}", "inline")
    assert env._trees == {}


def test_merge_keys_and_scalar_types_load_as_before() -> None:
    text = "base: &b\n  a: 1\n  b: 'yes'\nthing:\n  <<: *b\n  e: 3\n  c: true\n  d: 'true'\n"
    for _ in range(2):  # the second load answers the scalar tags from the resolver's memo
        value, lines = load_yaml(text, "specs/x.yaml")
        assert value == {
            "base": {"a": 1, "b": "yes"},
            "thing": {"a": 1, "b": "yes", "e": 3, "c": True, "d": "true"},
        }
        assert lines[("thing",)] == 4
        assert lines[("thing", "c")] == 7


def test_a_flush_over_the_size_limit_culls_once_and_keeps_the_newest(tmp_path: Path) -> None:
    warnings: list[str] = []
    limit = 300_000
    store = Store(tmp_path, limit, warnings.append)
    for i in range(60):
        store.set(f"s:{i:02d}", f"{i:02d}" + "x" * 20_000)
    store.flush()
    cache = store._open()
    assert cache.volume() <= limit
    kept = len(cache)
    assert 0 < kept < 60
    store.close()
    again = Store(tmp_path, limit, warnings.append)
    assert again.get("s:59") == "59" + "x" * 20_000
    assert warnings == []
    again.close()


def _write_rows(cache_dir: Path, rows: dict[str, Any]) -> None:
    folder = cache_dir / buildlog.STATS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    raw = {"format": buildlog.FORMAT, "outputs": rows}
    (folder / buildlog.OUTPUTS_NAME).write_bytes(marshal.dumps(raw))


def test_cost_rows_are_checked_field_by_field(tmp_path: Path) -> None:
    good = ["a.md", "specs/a.yaml", "skill", 1, 2, 3, 4, 5]
    longer = [*good, "x", None, 1, 2, 3, "y"]
    _write_rows(tmp_path, {"a.md": good, "b.md": longer, "c.md": [*good, "x", 7]})
    assert buildlog.read_cost_rows(str(tmp_path)) == {
        "a.md": good,
        "b.md": longer,
        "c.md": [*good, "x", 7],
    }
    for bad in (
        [*good[:3], True, *good[4:]],  # a bool where a count belongs
        good[:7],  # too short
        [*longer, "one too many"],
        [*good, "x", "not a number"],
        [*good[:3], 1.5, *good[4:]],
    ):
        _write_rows(tmp_path, {"a.md": good, "bad.md": bad})
        damaged: list[str] = []
        assert buildlog.read_cost_rows(str(tmp_path), damaged) == {}
        assert damaged


def test_frontmatter_memo_tells_apart_values_that_dump_differently() -> None:
    from skillforge.targets.frontmatter import Quoted, dump

    first = dump({"name": "x", "n": 1, "tags": ["a"]})
    assert dump({"name": "x", "n": 1, "tags": ["a"]}) is first  # served from the memo
    assert dump({"name": "x", "n": True, "tags": ["a"]}) == "name: x\nn: true\ntags:\n- a\n"
    assert dump({"name": Quoted("x"), "n": 1, "tags": ["a"]}).startswith('name: "x"\n')
    assert dump({"n": 1.0}) == "n: 1.0\n" and dump({"n": 1}) == "n: 1\n"
    assert dump({"tags": ["a"], "name": "x", "n": 1}) != first  # order is part of the value


def test_config_rel_gives_what_relpath_gives() -> None:
    import os
    from pathlib import Path

    from skillforge.engine.load.config import Config

    root = Path("/p/q")
    config = Config(root, None, (), (), (), root / ".claude", root / ".skillforge")
    for path in (
        "/p/q/a/b",
        "/p/q/.claude/s/SKILL.md",
        "/p/q/./a",
        "/p/q/../r",
        "/p/qr/a",
        "/p/q/a/",
        "/p/q//a",
        "/p/q",
        "/p/q/a/..",
        "rel/a",
        Path("/p/q/x.md"),
    ):
        assert config.rel(path) == os.path.relpath(path, root).replace(os.sep, "/"), path
    assert config.out_of("claude") == root / ".claude"
    assert config.out_of("cursor", "agent") is config.out_of("cursor", "agent")


def test_a_build_imports_no_dataclasses(tmp_path: Path) -> None:
    """The build's records are plain classes (state/plain.py): importing `dataclasses`, and
    making each decorated class, costs every process several milliseconds."""
    import subprocess
    import sys

    from helpers import project

    project(tmp_path)
    code = (
        "import sys; from skillforge.cli.main import main; code = main(['build', '-q']); "
        "print('dataclasses' in sys.modules); sys.exit(code)"
    )
    for _ in ("cold", "edit"):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["False"]
        spec = tmp_path / "specs/skill-0.yaml"
        spec.write_text(spec.read_text().replace("things.", "things again."))


def _outcome(call: Any) -> tuple[str, str]:
    try:
        return "ok", repr(call())
    except Exception as exc:  # the refusals and Jinja2's own errors must be the same too
        return type(exc).__name__, str(exc)


def test_the_format_filter_refuses_and_formats_as_the_generic_check_does() -> None:
    from skillforge.engine.jinja.sandbox import _check_format, _checked_filter

    fast = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    fast.max_size = 5_000
    assert fast.filters["format"] is not jinja2.filters.do_format
    slow = _checked_filter(fast, jinja2.filters.do_format, _check_format)
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("%05d", 7), {}),
        (("%s-%s", "a" * 3_000, "b" * 3_000), {}),
        (("%0999999d", 1), {}),
        (("%*d", 9_999, 1), {}),
        (("%(a)s", ), {"a": "x" * 6_000}),
        (("%(a)s", ), {"a": "x"}),
        (("%s", "x"), {"y": 1}),
        (("plain",), {}),
        ((), {}),
        ((12, ), {}),
        (("%d", "not a number"), {}),
        (("%" + "s" * 300, *(["ab"] * 300)), {}),
        (("%05d", -12), {}),
        (("%s|%x", 255), {}),
        (("%*d", 5), {}),
        (("%d", 10**40), {}),
        (("%05d", True), {}),
        (("%d", 3), {"x": 1}),
        ((jinja2.filters.Markup("<%s>"), 1), {}),
        (("<%s>", jinja2.filters.Markup("&")), {}),
        (("%" + "0" * 201 + "d", 1), {}),
        (("%04999d", 1), {}),
        (("%05001d", 1), {}),
    ]  # fmt: skip
    for args, kwargs in cases:
        want = _outcome(lambda: slow(*args, **kwargs))  # noqa: B023
        assert _outcome(lambda: fast.filters["format"](*args, **kwargs)) == want, args  # noqa: B023
    assert _outcome(lambda: slow("%0999999d", 1))[0] == "SecurityError"
    template = fast.from_string("{% for i in range(3) %}{{ '%03d' | format(i) }} {% endfor %}")
    assert template.render() == "000 001 002 "


def test_a_list_item_by_index_reads_as_jinjas_sandbox_reads_it() -> None:
    env = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    source = "{{ xs[1] }} {{ xs[-1] }} {{ t[0] }} {{ xs[7] is defined }} {{ xs[True] }}"
    assert env.from_string(source).render(xs=[1, 2, 3], t=(4,)) == "2 3 4 False 2"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ xs[7] }}").render(xs=[1])


_OUTPUT_TEMPLATES = {
    "loop": "{% for i in range(4) %}{{ p }}-{{ '%03d' | format(i) }}: {{ xs[i % 2] }}\n"
            "{% endfor %}",
    "escape": "{% autoescape true %}<{{ t }}>{{ t | safe }}&{% endautoescape %} {{ t }}",
    "blocks": "{% block a %}[{{ p }}|{{ t }}]{% endblock %}{{ self.a() }}{{ p }}{{ p }}",
    "macro": "{% macro m(x) %}({{ x }}:{{ x }}){% endmacro %}{{ m(p) }}-{{ m(t) }}",
    "call": "{% macro w() %}<{{ caller() }}>{% endmacro %}"
            "{% call w() %}{{ p }}.{{ t }}{% endcall %}",
    "set": "{% set s %}{{ p }}+{{ t }}{% endset %}{{ s }}/{{ s | length }}",
    "extends": "{% extends 'base' %}{% block a %}{{ super() }}*{{ t }}*{% endblock %}",
    "consts": "a{{ 1 }}b{{ 'c' }}{{ p ~ t }}{% raw %}{{ x }}{% endraw %}",
    "undefined": "ok {{ p }}\n{{ p }} then {{ missing.name }} {{ p }}",
    "error": "{{ p }}\n{{ p }}-{{ xs[0] ~ 'x' * 99999999 }}",
}  # fmt: skip


def _long_way_env() -> TemplateSandbox:
    """A sandbox that yields every part of an output node as its own chunk (Jinja's way)."""
    from jinja2.compiler import CodeGenerator

    from skillforge.engine.jinja.sandbox import _BoundedConcat

    class OneChunkEach(_BoundedConcat):
        visit_Output = CodeGenerator.visit_Output

    env = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    env.code_generator_class = OneChunkEach
    return env


def _render(env: TemplateSandbox, name: str) -> tuple[str, str, list[int]]:
    import traceback

    env.loader = jinja2.DictLoader(
        {"base": "{% block a %}<{{ p }}{{ t }}>{% endblock %}!", **_OUTPUT_TEMPLATES}
    )
    try:
        text = env.get_template(name).render(p="P", t="<b>", xs=["x", "y"])
        return "ok", text, []
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        lines = [f.lineno or 0 for f in frames if f.filename == "<template>"]
        return type(exc).__name__, str(exc), lines


def test_an_output_node_yields_one_chunk_with_the_same_text_and_errors() -> None:
    fast, slow = (TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS), _long_way_env())
    for name in _OUTPUT_TEMPLATES:
        assert _render(fast, name) == _render(slow, name), name
    assert _render(fast, "undefined")[2] == [2]
    assert _render(fast, "error")[0] == "SecurityError"
    loop = _OUTPUT_TEMPLATES["loop"]
    chunks = list(fast.from_string(loop).generate(p="P", xs=["x", "y"]))
    assert len(chunks) == 4 < len(list(slow.from_string(loop).generate(p="P", xs=["x", "y"])))


def _every_binop_called_env() -> TemplateSandbox:
    """A sandbox that sends every `+`, `*`, `%`, `a.b` and `a[b]` through the environment's
    `call_binop`, `getattr` and `getitem` (Jinja's way)."""
    from jinja2.compiler import CodeGenerator

    from skillforge.engine.jinja.sandbox import _BoundedConcat

    class EveryCall(_BoundedConcat):
        visit_Add = CodeGenerator.visit_Add
        visit_Mul = CodeGenerator.visit_Mul
        visit_Mod = CodeGenerator.visit_Mod
        visit_Getattr = CodeGenerator.visit_Getattr
        visit_Getitem = CodeGenerator.visit_Getitem

    env = TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
    env.code_generator_class = EveryCall
    return env


def _fast_and_slow() -> tuple[TemplateSandbox, TemplateSandbox]:
    """The sandbox with its cheap cases in place, and one that calls `call_binop` for every
    operation, both capped at 5,000 characters."""
    fast, slow = (
        TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS),
        _every_binop_called_env(),
    )
    fast.max_size = slow.max_size = 5_000
    return fast, slow


_BINOP_TEMPLATES = [
    "{% for i in range(5) if i % 2 %}{{ i * 2 + 1 }},{{ '%03d' | format(i + 1) }};{% endfor %}",
    "{% macro m(x) %}{{ x + 1 }}{{ x * x }}{% endmacro %}{{ m(2) }}{{ m(a) }}",
    "{% set s %}{{ 3 % 2 }}{{ a % b }}{% endset %}{{ s }}{% set t = a + b * a %}{{ t }}",
    "{{ (1 + 2) * (3 + 4) % 5 }} {{ (a + 1) * (b + 1) % 7 }} {{ xs[a % 2] + a }}",
    "{% for x in xs %}{{ loop.index + a }}{{ loop.index0 * x }}{% endfor %}",
    "{{ 'x' * 10**8 }}",
    "{{ '%0999999999d' % a }}",
    "{{ missing + 1 }}",
    "line one\n{{ a % 0 }}",
]


def test_two_ints_computed_in_place_give_what_call_binop_gives() -> None:
    fast, slow = _fast_and_slow()
    values: list[Any] = [
        0, 1, -3, 7, 2**70, True, False, 1.5, "ab", "%d", "%s-%s", "x" * 3_000, [1], (2, 3), None,
        {"a": 1}, 10_000_001,
    ]  # fmt: skip
    for op in ("+", "*", "%"):
        source = f"{{{{ a {op} b }}}}"
        compiled = fast.compile(source, raw=True)
        assert "call_binop" in compiled and " is int" in compiled
        for a in values:
            for b in values:
                want = _outcome(lambda: slow.from_string(source).render(a=a, b=b))  # noqa: B023
                got = _outcome(lambda: fast.from_string(source).render(a=a, b=b))  # noqa: B023
                assert got == want, (op, a, b)
    for source in _BINOP_TEMPLATES:
        for a, b in ((3, 4), (2, 0), ("%s", "q"), (1.5, 2)):
            context = {"a": a, "b": b, "xs": [5, 6, 7]}
            want = _outcome(lambda: slow.from_string(source).render(**context))  # noqa: B023
            assert _outcome(lambda: fast.from_string(source).render(**context)) == want, source  # noqa: B023
    assert _outcome(lambda: fast.from_string(_BINOP_TEMPLATES[5]).render())[0] == "SecurityError"
    assert fast.from_string(_BINOP_TEMPLATES[0]).render() == "3,002;7,004;"


_READ_TEMPLATES = [
    "{{ d.name }}|{{ d.items }}|{{ d.keys() | list }}|{{ d.nested.deep }}|{{ d['name'] }}",
    "{{ xs[0] }}{{ xs[-1] }}{{ xs[-3] }}{{ xs[True] }}{{ xs[1:] }}{{ t[1] }}{{ s[1] }}",
    "{{ d.nested['deep'] }}{{ d[k] }}{{ xs[i] }}{{ d.name.upper() }}{{ d.name.center(9) }}",
    "{{ xs[3] is defined }} {{ d.gone is defined }} {{ xs[-4] is defined }}",
    "{{ xs[3] }}",
    "{{ xs[-4] }}",
    "{{ d.gone }}",
    "{{ d.name.center(10**9) }}",
    "{{ d.xs.append(1) }}",
    "{{ d.__class__ }}",
    "{{ s.__class__.__mro__ }}",
    "{% for x in d.xs %}{{ d.xs[loop.index0] + x }}{{ loop.index }}{% endfor %}",
]


def test_a_value_read_in_place_is_what_the_sandbox_reads() -> None:
    fast, slow = _fast_and_slow()
    context: dict[str, Any] = {
        "d": {"name": "ab", "items": "own", "nested": {"deep": 1}, "xs": [1, 2], "k": 0, 0: "z"},
        "xs": [4, 5, 6], "t": (7, 8), "s": "str", "k": 0, "i": 2,
    }  # fmt: skip
    for source in _READ_TEMPLATES:
        want = _outcome(lambda: slow.from_string(source).render(**context))  # noqa: B023
        assert _outcome(lambda: fast.from_string(source).render(**context)) == want, source  # noqa: B023
    assert "environment.getattr" in fast.compile("{{ d.name }}", raw=True)
    assert _outcome(lambda: fast.from_string("{{ d.xs.append(1) }}").render(**context))[0] == (
        "SecurityError"
    )
    assert context["d"]["xs"] == [1, 2]


def test_an_error_in_an_int_operation_is_reported_on_its_template_line() -> None:
    import traceback

    fast, slow = (
        TemplateSandbox(undefined=jinja2.StrictUndefined, **ENV_OPTIONS),
        _every_binop_called_env(),
    )
    lines = []
    for env in (fast, slow):
        try:
            env.from_string("a\nb\n{{ 1 + (a % b) }}\n").render(a=1, b=0)
        except ZeroDivisionError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            lines.append([f.lineno for f in frames if f.filename == "<template>"])
    assert lines == [[3], [3]]


def test_a_build_tunes_the_collector_before_it_imports_jinja2(tmp_path: Path) -> None:
    """The engine's imports make most of a small build's objects: the one-shot thresholds
    (state/heap.py) are set before them, not after. Only for the process's own command:
    `main(argv)` called by a program that goes on keeps Python's collector."""
    import subprocess
    import sys

    from helpers import project

    project(tmp_path)
    code = (
        "import gc, sys\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'jinja2': print('JINJA', gc.get_threshold())\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from skillforge.cli.main import main\n"
        "sys.argv = ['skillforge', 'build', '-q']\n"  # the process's own command, as installed
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    from skillforge.state.heap import ONE_SHOT_THRESHOLDS

    assert done.stdout.split("\n")[0] == f"JINJA {ONE_SHOT_THRESHOLDS}"


def test_main_called_with_arguments_keeps_pythons_collector(tmp_path: Path) -> None:
    """A program that calls `main(argv)` goes on after it: the one-shot collector settings
    (thresholds, and freezing what collector-free blocks make) are the CLI process's only."""
    import gc

    from helpers import project, run

    from skillforge.state import heap

    project(tmp_path)
    before = gc.get_threshold()
    assert run(tmp_path, "build", "-q").code == 0
    assert run(tmp_path, "check").code == 0
    assert gc.get_threshold() == before and heap._ONE_SHOT is False
    assert heap._KEPT == []  # what a one-shot process holds to its end: nothing here


def test_keep_holds_objects_only_in_a_one_shot_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """`keep` holds what a one-shot process would free just before it ends, and only there."""
    from skillforge.state import heap

    kept: list[tuple[object, ...]] = []
    monkeypatch.setattr(heap, "_KEPT", kept)
    heap.keep([1], "x")
    assert kept == []
    monkeypatch.setattr(heap, "_ONE_SHOT", True)
    item = [2]
    heap.keep(item)
    assert kept == [(item,)] and kept[0][0] is item


@pytest.mark.parametrize(
    "text",
    ["", "one line", "\n\nleading newlines\n", "R1-00001: rule\n" * 500, 'Ünï 日本 😀 \\ " \t'],
)
def test_a_text_entry_reads_back_as_its_json_form_does(text: str) -> None:
    """`[text, tokens]` (sections, fragments) is stored as the count and the raw text, not
    JSON: what it reads back as is what the JSON entry gives, and damage is still caught."""
    from skillforge.cache import local

    key = "sec:" + "ab" * 16
    value = [text, 42]
    stored = local.encode(key, value, None)
    assert stored is not None and stored[3:4] == local._TEXT
    payload = local._JSON(value).encode()  # the long way: a JSON data entry
    long_way = local._MAGIC + local._DATA + local._tag(key, payload) + payload
    assert local.decode(key, stored, None) == local.decode(key, long_way, None) == (value, True)
    for at in (4, 4 + local._DIGEST_SIZE, len(stored) - 1):  # tag, count, text
        if at < len(stored):
            damaged = stored[:at] + bytes([stored[at] ^ 1]) + stored[at + 1 :]
            assert local.decode(key, damaged, None) == (None, False)
    assert local.decode("sec:other", stored, None) == (None, False)  # another key's row


@pytest.mark.parametrize("value", [["text", True], ["text", 1.5], ["a", 1, 2], ("a", 1), [1, "a"]])
def test_values_other_than_text_and_count_stay_json(value: Any) -> None:
    from skillforge.cache import local

    stored = local.encode("sec:x", value, None)
    assert stored is not None and stored[3:4] == local._DATA
    assert local.decode("sec:x", stored, None)[1] is True
