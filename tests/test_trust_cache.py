"""Issue 9, the caches: a cached text is always the text a fresh render would give.

Fragment keys come only from values with a canonical form (D1, D3); a fragment reached under
another name is a dependency on every fragment (D2); cached entries are checked against a
digest and nothing in the cache is run or unpickled (D5); templates nested too deeply, string
bombs and timeouts are spec errors with a file and line (D9, D12, D17); an error in shared
inline code names the spec that failed (D18).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import build_file_tree, build_json, run

SKILL_MD = ".claude/skills/{}/SKILL.md"


def spec(name: str, body: str) -> str:
    """A skill spec with one section whose body is `body` (a YAML double-quoted scalar)."""
    return (
        f"kind: skill\nname: {name}\ndescription: Tests {name}. Use when testing.\n"
        f"sections:\n  - id: s\n    body: {json.dumps(body)}\n"
    )


def output(root: Path, name: str) -> str:
    return (root / SKILL_MD.format(name)).read_text()


def fresh(tmp_path: Path, root: Path) -> dict[str, str]:
    """The outputs of a clean build of a copy of `root` (no cache, no manifest)."""
    import shutil

    copy = tmp_path / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".skillforge", ".claude"))
    assert run(copy, "build", "-q").code == 0
    out = copy / ".claude"
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}


def built(root: Path) -> dict[str, str]:
    out = root / ".claude"
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}


LIST = "{% for i in items %}- {{ i }}\n{% endfor %}"


# -- D1: generator arguments ------------------------------------------------------------------


def test_generator_arguments_never_share_a_cache_key(tmp_path: Path) -> None:
    body = (
        "{% for w in ['ant', 'bee', 'cat'] %}"
        "{{ fragment('list', items=[w]|map('upper')) }}\n{% endfor %}"
    )
    files = {"templates/fragments/list.md.j2": LIST, "specs/loop.yaml": spec("loop", body)}
    for i in range(12):
        files[f"specs/s{i}.yaml"] = spec(
            f"s{i}", "{{ fragment('list', items=[spec.name, 'xK']|map('upper')) }}"
        )
    build_file_tree(tmp_path, files)
    report = build_json(tmp_path)

    assert report["ok"] is True
    assert output(tmp_path, "loop").count("- ") == 3
    for word in ("ANT", "BEE", "CAT"):
        assert f"- {word}" in output(tmp_path, "loop")
    for i in range(12):
        assert f"- S{i}\n- XK" in output(tmp_path, f"s{i}")


def test_generator_arguments_are_cached_by_their_items(tmp_path: Path) -> None:
    body = "{{ fragment('list', items=['a', 'b']|map('upper')) }}"
    build_file_tree(
        tmp_path,
        {
            "templates/fragments/list.md.j2": LIST,
            "specs/a.yaml": spec("a", body),
            "specs/b.yaml": spec("b", body),
        },
    )
    report = build_json(tmp_path)

    assert output(tmp_path, "a").endswith("- A\n- B\n")
    layers = report.get("cache", report)
    assert json.dumps(layers).count("fragments") >= 1
    assert built(tmp_path) == fresh(tmp_path, tmp_path)


def test_map_key_order_is_part_of_the_key(tmp_path: Path) -> None:
    body = "{% for k, v in vars.m.items() %}{{ k }}={{ v }} {% endfor %}"
    text = spec("order", body) + "vars:\n  m: {a: 1, b: 2}\n"
    build_file_tree(tmp_path, {"specs/order.yaml": text})
    assert run(tmp_path, "build", "-q").code == 0
    assert "a=1 b=2" in output(tmp_path, "order")

    (tmp_path / "specs/order.yaml").write_text(text.replace("{a: 1, b: 2}", "{b: 2, a: 1}"))
    assert run(tmp_path, "build", "-q").code == 0
    assert "b=2 a=1" in output(tmp_path, "order")


# -- D3: macros -------------------------------------------------------------------------------


def test_a_macro_argument_is_rendered_every_time_and_explained(tmp_path: Path) -> None:
    body = "{% macro m() %}Macro body v1{% endmacro %}{{ fragment('wrap', m=m) }}"
    build_file_tree(
        tmp_path, {"templates/fragments/wrap.md.j2": "[{{ m() }}]", "specs/m.yaml": spec("m", body)}
    )
    assert run(tmp_path, "build", "-q").code == 0
    assert "[Macro body v1]" in output(tmp_path, "m")

    (tmp_path / "specs/m.yaml").write_text(spec("m", body.replace("v1", "v2")))
    result = run(tmp_path, "build", "--explain")

    assert result.code == 0, result
    assert "[Macro body v2]" in output(tmp_path, "m")
    assert "fragment wrap not cached: argument m is a macro" in result.out + result.err
    assert run(tmp_path, "check").code == 0


def test_an_undefined_or_object_argument_is_not_cached(tmp_path: Path) -> None:
    body = "{{ fragment('show', x=range(3)) }}|{{ fragment('show', x=spec.items()) }}"
    build_file_tree(
        tmp_path,
        {"templates/fragments/show.md.j2": "{{ x|list|length }}", "specs/o.yaml": spec("o", body)},
    )
    report = build_json(tmp_path, "--explain")

    assert report["ok"] is True
    assert output(tmp_path, "o").rstrip().endswith("3|4")
    [reasons] = [v for k, v in report["reasons"].items() if k.endswith("o/SKILL.md")]
    assert any("argument x is a range object" in r for r in reasons), reasons


# -- D2: fragment under another name ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{% set f = fragment %}{{ f('note') }}",
        "{% with f = fragment %}{{ f('note') }}{% endwith %}",
        "{{ [fragment]|map('string')|first|length > 0 }}{{ ([fragment]|first)('note') }}",
    ],
)
def test_a_fragment_reached_under_another_name_is_a_dependency(tmp_path: Path, body: str) -> None:
    build_file_tree(
        tmp_path, {"templates/fragments/note.md.j2": "Note v1.", "specs/a.yaml": spec("a", body)}
    )
    assert run(tmp_path, "build", "-q").code == 0
    assert "Note v1." in output(tmp_path, "a")

    (tmp_path / "templates/fragments/note.md.j2").write_text("Note v2.")
    assert run(tmp_path, "check").code == 1  # stale: check must not pass
    assert run(tmp_path, "build", "-q").code == 0
    assert "Note v2." in output(tmp_path, "a")


# -- D5: integrity and no code from the cache -------------------------------------------------


def cache_db(root: Path) -> Path:
    return root / ".skillforge/cache/cache.db"


def test_a_changed_byte_in_a_cached_section_is_caught(tmp_path: Path) -> None:
    text = (
        "kind: skill\nname: alpha\ndescription: Alpha. Use when testing.\nvars: {topic: safety}\n"
        "sections:\n  - id: t\n    body: 'Topic: {{ vars.topic }}.'\n"
        "  - id: d\n    body: Details v1.\n"
    )
    build_file_tree(tmp_path, {"specs/a.yaml": text})
    assert run(tmp_path, "build", "-q").code == 0
    db = cache_db(tmp_path)
    raw = db.read_bytes()
    assert b"Topic: safety." in raw
    db.write_bytes(raw.replace(b"Topic: safety.", b"Topic: SAFETY."))
    (tmp_path / "specs/a.yaml").write_text(text.replace("Details v1.", "Details v2."))
    result = run(tmp_path, "build", "--json")

    assert result.code == 0
    assert "Topic: safety." in output(tmp_path, "alpha")
    assert "Details v2." in output(tmp_path, "alpha")
    warnings = json.dumps(result.report.get("warnings"))
    assert warnings.count("cache entry damaged") == 1, warnings
    assert run(tmp_path, "check").code == 0


def rows(db: Path, prefix: str) -> list[str]:
    with sqlite3.connect(db) as con:
        return [k for (k,) in con.execute("SELECT key FROM Cache") if k.startswith(prefix)]


def test_another_keys_row_is_never_served(tmp_path: Path) -> None:
    """A damaged SQLite index can answer a lookup with another key's row, whose payload is
    intact (random damage to cache.db once published one spec's fragment in another's
    output): each entry's digest covers its key, so the row is damage, rendered again."""
    item = "{% for s in section.with.steps %}{{ fragment('item', text=s) }}\n{% endfor %}"
    files = {"templates/fragments/item.md.j2": "- {{ text }}", "templates/sections/l.md.j2": item}
    for name in ("a", "b"):
        files[f"specs/{name}.yaml"] = (
            f"kind: skill\nname: {name}\ndescription: Tests {name}. Use when testing.\n"
            f"sections:\n  - id: l\n    template: sections/l.md.j2\n"
            f"    with: {{steps: [only-{name}]}}\n"
        )
    build_file_tree(tmp_path, files)
    assert run(tmp_path, "build", "-q").code == 0
    db = cache_db(tmp_path)
    with sqlite3.connect(db) as con:
        frags = con.execute("SELECT rowid, value FROM Cache WHERE key LIKE 'frag:%'").fetchall()
        assert len(frags) == 2
        (first, one), (second, other) = frags
        con.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (other, first))
        con.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (one, second))
    for name in ("a", "b"):  # a new step: the sections render again, and ask for the fragments
        path = tmp_path / f"specs/{name}.yaml"
        path.write_text(path.read_text().replace("]}", ", more]}"))
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result
    assert built(tmp_path) == fresh(tmp_path, tmp_path)
    assert "- only-a\n- more" in output(tmp_path, "a") and "- only-b" in output(tmp_path, "b")
    warnings = json.dumps(result.report.get("warnings"))
    assert warnings.count("cache entry damaged") == 1, warnings
    assert result.report["fragments"] == {"rendered": 3, "cached": 1}  # "more", once


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, ("open('PWNED', 'w').write('x')",))


def test_a_pickled_cache_value_is_never_loaded(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {"specs/a.yaml": spec("a", "Hello {{ spec.name }}."), "specs/b.yaml": spec("b", "B.")},
    )
    assert run(tmp_path, "build", "-q").code == 0
    db = cache_db(tmp_path)
    poison = pickle.dumps(_Boom())
    with sqlite3.connect(db) as con:  # mode 4 is diskcache's MODE_PICKLE
        con.execute("UPDATE Cache SET mode = 4, value = ?", (poison,))
    (tmp_path / "specs/a.yaml").write_text(spec("a", "Hello again {{ spec.name }}."))
    before = built(tmp_path)
    result = run(tmp_path, "build", "--force", "-q")

    assert result.code == 0, result
    assert not (tmp_path / "PWNED").exists()
    assert "Hello again a." in output(tmp_path, "a")
    assert built(tmp_path)["skills/b/SKILL.md"] == before["skills/b/SKILL.md"]
    assert run(tmp_path, "check").code == 0


def test_compiled_code_from_another_key_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_file_tree(
        tmp_path,
        {
            "templates/sections/t.md.j2": "Made by {{ spec.name }}.",
            "specs/a.yaml": "kind: skill\nname: a\ndescription: A. Use when testing.\n"
            "sections:\n  - id: s\n    template: sections/t.md.j2\n",
        },
    )
    first = build_json(tmp_path, "--force")
    assert first["ok"] is True
    assert rows(cache_db(tmp_path), "bc:")
    # another user (or a restored CI cache): its key is not ours, its code is not run
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    # the section rendered again (its `with` changed), through the template's cached code
    spec_file = tmp_path / "specs/a.yaml"
    spec_file.write_text(spec_file.read_text() + "    with: {n: 1}\n")
    again = build_json(tmp_path, "--force")
    assert again["sections"]["rendered"] == 1

    assert again["ok"] is True
    layers = json.dumps(again)
    assert '"templates_compiled": 0' not in layers, layers
    assert "Made by a." in output(tmp_path, "a")
    key = tmp_path / "other-user/skillforge/key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert not any(p.name == "key" for p in (tmp_path / ".skillforge").rglob("*"))


def test_the_spec_cache_holds_data_only(tmp_path: Path) -> None:
    text = spec("a", "Hello.") + "vars: {when: 2024-01-02, pair: [1, 2], n: 1.5}\n"
    build_file_tree(
        tmp_path,
        {
            "specs/a.yaml": text,
            "templates/fragments/x.md.j2": "x",
            "templates/sections/t.md.j2": "",
        },
    )
    assert run(tmp_path, "build", "-q").code == 0
    (tmp_path / "templates/fragments/x.md.j2").write_text("y")  # a re-render, spec from cache
    assert run(tmp_path, "build", "-q").code == 0
    with sqlite3.connect(cache_db(tmp_path)) as con:
        modes = {m for (m,) in con.execute("SELECT mode FROM Cache")}
    assert modes <= {1, 2}  # diskcache's raw bytes and value files: never a pickle
    assert built(tmp_path) == fresh(tmp_path, tmp_path)


# -- D9: too deep -----------------------------------------------------------------------------


GOOD = spec("good", "Fine.")


@pytest.mark.parametrize(
    "files",
    [
        {"specs/deep.yaml": spec("deep", "{{ " + "(" * 100 + "1" + ")" * 100 + " }}")},
        {"specs/deep.yaml": spec("deep", "{% if true %}" * 400 + "x" + "{% endif %}" * 400)},
        {
            **{
                f"templates/chain/c{i}.md.j2": f"{{% extends 'chain/c{i + 1}.md.j2' %}}"
                for i in range(1200)
            },
            "templates/chain/c1200.md.j2": "{% block b %}end{% endblock %}",
            "specs/deep.yaml": "kind: skill\nname: deep\ndescription: D. Use when testing.\n"
            "sections:\n  - id: s\n    template: chain/c0.md.j2\n",
        },
    ],
    ids=["expression", "nested-if", "extends-chain"],
)
def test_a_template_nested_too_deeply_is_a_spec_error(
    tmp_path: Path, files: dict[str, str]
) -> None:
    build_file_tree(tmp_path, {**files, "specs/good.yaml": GOOD})
    result = run(tmp_path, "build", "--json")

    assert result.code == 1
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    [error] = result.report["errors"]
    assert error["file"] == "specs/deep.yaml" and error["line"] == 6, error
    assert "nested too deeply" in error["message"]
    assert output(tmp_path, "good").rstrip().endswith("Fine.")


# -- D12: string bombs ------------------------------------------------------------------------


BOMBS = {
    "ljust": "{{ 'a'.ljust(3 * 10**9)|length }}",
    "rjust": "{{ 'a'['rjust'](3 * 10**9)|length }}",
    "center": "{{ 'a'.center(3 * 10**9)|length }}",
    "zfill": "{{ '1'.zfill(3 * 10**9)|length }}",
    "expandtabs": "{{ ('\\t' * 1000).expandtabs(10**7)|length }}",
    "replace": "{{ ('a' * 10**6).replace('a', 'b' * 10**4)|length }}",
    "format-filter": "{{ '%0999999999d'|format(1) }}",
    "percent": "{{ '%0999999999d' % 1 }}",
    "str-format": "{{ '{:>999999999}'.format(1) }}",
    "nested-format": "{{ '{:{}}'.format(1, 999999999) }}",
    "center-filter": "{{ 'a'|center(999999999) }}",
    "indent-filter": "{{ ('a\\n' * 1000)|indent(10**7) }}",
    "replace-filter": "{{ ('a' * 10**6)|replace('a', 'b' * 10**4) }}",
    "join": "{{ ('x' * 10**6).join(['a'] * 10**4)|length }}",
    "join-filter": "{{ (['y' * 10**6] * 10**4)|join }}",
    "doubling-concat": (
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "doubling-plus": (
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
}


def test_string_bombs_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    names = list(BOMBS)
    files = {f"specs/{n}.yaml": spec(n, BOMBS[n]) for n in names}
    build_file_tree(tmp_path, {**files, "specs/good.yaml": GOOD})
    code = (
        "import json\n"
        "from skillforge.cli.main import main\n"
        "import io, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['build', '--json', '--jobs', '1'])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "print(json.dumps([code, int(hwm.split()[1]), json.loads(out.getvalue())]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    exit_code, peak_kib, report = json.loads(done.stdout.splitlines()[-1])

    assert exit_code == 1
    failed = {e["file"] for e in report["errors"]}
    assert failed == {f"specs/{n}.yaml" for n in names}, report["errors"]
    assert all("max_render_size" in e["message"] or "too" in e["message"] for e in report["errors"])
    assert peak_kib < 300 * 1024, peak_kib
    assert output(tmp_path, "good").rstrip().endswith("Fine.")


def test_ordinary_string_methods_still_work(tmp_path: Path) -> None:
    body = (
        "{{ 'a'.ljust(3, '.') }}|{{ 'ab'.replace('a', 'x') }}|{{ '{:>4}'.format(7) }}|"
        "{{ '%03d'|format(7) }}|{{ '%s-%s' % ('a', 'b') }}|{{ ['a', 'b']|join(',') }}|"
        "{{ 'x' ~ 1 ~ 'y' }}|{{ 'p' + 'q' }}|{{ 'a\\nb'|indent(2) }}|{{ '-'.join('abc') }}|"
        "{{ ['a', 'b']|map('upper')|join }}"
    )
    build_file_tree(tmp_path, {"specs/ok.yaml": spec("ok", body)})
    assert run(tmp_path, "build", "-q").code == 0
    assert "a..|xb|   7|007|a-b|a,b|x1y|pq|a\n  b|a-b-c|AB" in output(tmp_path, "ok")


# -- D17, D18: messages -----------------------------------------------------------------------


def test_a_timeout_in_nested_loops_says_it_ran_too_long(tmp_path: Path) -> None:
    body = (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}"
        "{% if k == -1 %}x{% endif %}{% endfor %}{% endfor %}{% endfor %}"
    )
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "[build]\nrender_timeout = 0.3\n",
            "specs/slow.yaml": spec("slow", body),
            "specs/good.yaml": GOOD,
        },
    )
    result = run(tmp_path, "build", "--json")

    assert result.code == 1
    [error] = result.report["errors"]
    assert "ran longer than 0.3s" in error["message"], error
    assert "TypeError" not in error["message"]


def test_an_error_in_shared_inline_code_names_the_spec_that_failed(tmp_path: Path) -> None:
    body = "Line one.\n{{ vars.needed }}"
    build_file_tree(
        tmp_path,
        {
            "specs/a.yaml": spec("a", body) + "vars: {needed: here}\n",
            "specs/b.yaml": spec("b", body),
        },
    )
    result = run(tmp_path, "build", "--json", "--jobs", "1")

    assert result.code == 1
    [error] = result.report["errors"]
    assert error["file"] == "specs/b.yaml"
    assert "specs/a.yaml" not in error["message"], error


def test_a_store_opened_empty_reads_nothing_and_serves_what_it_wrote(tmp_path: Path) -> None:
    """A cold build asks SQLite nothing; once the store wrote, reads go to the cache again."""
    from skillforge.cache.local import Store

    warnings: list[str] = []
    store = Store(tmp_path, 10**8, warnings.append)
    assert store.get("sc:one") is None
    assert store.empty  # the database held no entry: every read is a miss
    store.set("sc:one", ["text", 3])
    store.flush()
    assert not store.empty
    assert store.get("sc:one") == ["text", 3]  # from SQLite, not from the write buffer
    assert store.pending == {}
    store.close()
    # a store opened on a database with entries reads them
    again = Store(tmp_path, 10**8, warnings.append)
    assert again.get("sc:one") == ["text", 3]
    assert not again.empty
    again.close()
    assert warnings == []


def test_a_second_build_after_a_cold_one_hits_the_cache(tmp_path: Path) -> None:
    body = "{{ spec.name }}: {% for i in range(3) %}{{ i }}{% endfor %}"
    build_file_tree(tmp_path, {"specs/a.yaml": spec("a", body)})
    cold = build_json(tmp_path)
    assert cold["sections"]["rendered"] == 1
    edited = spec("a", body).replace("Tests a.", "Tests a again.")
    (tmp_path / "specs/a.yaml").write_text(edited)
    warm = build_json(tmp_path)
    assert warm["sections"]["rendered"] == 0
    assert warm["sections"]["cached"] == 1
    assert output(tmp_path, "a") == fresh(tmp_path, tmp_path)["skills/a/SKILL.md"]


def test_a_flush_into_an_empty_cache_writes_what_set_writes(tmp_path: Path) -> None:
    """The one-statement insert of a cold build leaves the cache diskcache would have made."""
    import diskcache

    from skillforge.cache.local import CACHE_FOLDER, Store

    values = {f"sc:{i}": [f"text {i}", i] for i in range(50)}
    values["sc:big"] = ["x" * 40_000, 1]  # kept in a file of its own, through `set`
    bulk, one_by_one = tmp_path / "bulk", tmp_path / "set"
    for folder, empty in ((bulk, True), (one_by_one, False)):
        store = Store(folder, 10**8, pytest.fail)
        assert store.get("sc:none") is None and store.empty
        store.empty = empty  # the other copy: every entry through diskcache's `set`
        for key, value in values.items():
            store.set(key, value)
        store.flush()
        store.close()
    rows = {}
    for folder in (bulk, one_by_one):
        cache = diskcache.Cache(str(folder / CACHE_FOLDER))
        assert cache.check() == []  # counts, sizes and files agree (diskcache's own check)
        rows[folder] = sorted(
            cache._sql(
                "SELECT key, raw, expire_time, access_count, tag, size, mode, "
                "filename IS NULL, value FROM Cache"
            ).fetchall()
        )
        assert len(cache) == len(values)
        cache.close()
    assert rows[bulk] == rows[one_by_one]
    reader = Store(bulk, 10**8, pytest.fail)
    assert {k: reader.get(k) for k in values} == values
    reader.close()


def test_an_entry_written_meanwhile_by_another_process_is_kept(tmp_path: Path) -> None:
    from skillforge.cache.local import Store

    first = Store(tmp_path, 10**8, pytest.fail)
    assert first.get("sc:a") is None and first.empty
    other = Store(tmp_path, 10**8, pytest.fail)  # writes while the first one renders
    other.set("sc:a", ["from the other", 1])
    other.flush()
    other.close()
    first.set("sc:a", ["from the first", 2])
    first.set("sc:b", ["only the first", 3])
    first.flush()  # the insert fails on sc:a; every entry is then written by `set`
    assert not first.empty
    assert first.get("sc:a") == ["from the first", 2]
    assert first.get("sc:b") == ["only the first", 3]
    first.close()
