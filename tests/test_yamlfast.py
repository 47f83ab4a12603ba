"""The line reader of plain YAML gives what the loader gives, or declines.

Each test compares `yamlfast.parse` with `load_yaml` on its full path (the loader): the same
values (types and key order too) and the same lines whenever the fast path reads a text, and
a decline whenever the loader raises.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from skillforge.engine.load import yamlfast, yamlfull, yamlsafe
from skillforge.errors import SpecError

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus

REPO = Path(__file__).parent.parent
DECLINED = object()


def fast(text: str) -> Any:
    result = yamlfast.parse(text, yamlsafe._plain, yamlsafe._PLAIN, yamlsafe._PLAIN_FIRST)
    return DECLINED if result is None else result


def full(text: str) -> Any:
    """What the loader makes of the text, or the error it raises."""
    with mock.patch.object(yamlfast, "parse", return_value=None):
        try:
            return yamlsafe.load_yaml(text, "x.yaml")
        except SpecError as exc:
            return exc


def check(text: str) -> bool:
    """Assert the fast path agrees with the loader; say whether it read the text."""
    got, want = fast(text), full(text)
    if isinstance(want, SpecError):
        assert got is DECLINED, (text, want)
        return False
    if got is DECLINED:
        return False
    assert repr(got[0]) == repr(want[0]), text
    assert got[1] == want[1], text
    return True


def test_every_spec_of_a_corpus_and_of_the_examples_is_read(tmp_path: Path) -> None:
    corpus.write_corpus(tmp_path, 40, 1)
    files = [*tmp_path.rglob("*.yaml"), *(REPO / "examples").rglob("*.yaml")]
    assert len(files) > 40
    for file in files:
        assert check(file.read_text(encoding="utf-8")), file


TRICKY = [
    "a: 1\nb: 0x1F\nc: 1e3\nd: 1.5e+3\ne: yes\nf: No\ng: ~\nh: null\ni: 2024-01-02\nj: .inf\n",
    "k: -1\nl: +2\nm: 0o7\nn: 010\no: 1_000\np: 12:30\nq: .5\nr: -.nan\ns: =\nt: '1'\n",
    "1: a\ntrue: b\nyes: c\n~: d\n1.0: e\n0x10: f\n",
    "a:\n- 1\n- 2\nb:\n  - x\n  -   y\nc: {}\nd: []\n",
    "a:\n- b: 1\n  c: 2\n- - x\n  - y\n- [p, 'q r', \"s\"]\n- {k: v, 'w': [1, 2]}\n",
    "a: b\na: c\n",
    "a: 1\n1: 2\n'1': 3\n",
    "yes: 1\ntrue: 2\n",
    "a: b: c\n",
    "a: - b\n",
    "- a\nb: c\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a: one\n  two\n\n  three\n\n\n  four\nb: 1\n",
    "a: one\n  two: x\n",
    "a: one # c\n  two\n",
    "a: one\n# c\n  two\n",
    "a: 'it''s\n\n   here '\nb: 'x\n  y'\n",
    "a: 'open\nb: 1\n",
    'a: "dq # not a comment"\nb: "x\\ty"\n',
    "a: |\n  line\n\n    more\n   \n  end\n\n\nb: |-\n  x\n\nc: |+\n  y\n\n\nd: 1\n",
    "a: >\n  one\n  two\n\n  three\n    indented\n  back\nb: >-\n  x\n  y\n",
    "a: |2\n   lead\n  x\nb: |1-\n  y\n",
    "a: |\n\n  after blank\n",
    "a: |\n     \n  x\n",
    "a: |\nb: 1\n",
    "a: |\n  x\n # c\n",
    "- |\n  a\n- >-\n  b\n  c\n- 'q'\n",
    "--- \na: 1\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\n",
    "a: !!str 1\n",
    "? a\n: b\n",
    "a:\tb\n",
    "a: b\r\n",
    "\ufeffa: b\n",
    "a: b\x00\n",
    "a: b\x85c\n",
    "a: b\u2028c\n",
    "a: b",
    "",
    "# only a comment\n",
    "just a scalar\n",
    "a: [b, c,]\n",
    "a: [b, , c]\n",
    "a: [Bash(git log:*), x]\n",
    "a: [b: c]\n",
    "a: {b}\n",
    "a: {b: c, b: d}\n",
    "a: [b] c\n",
    "a: 'x' y\n",
    "a: 'x'#y\n",
    "'a b': 1\n\"c\": 2\n'': 3\n",
    "a  : 1\n",
    "a:b: 1\n",
    "a: b:c\n",
    "-a: 1\n",
    "- -1\n- -x\n- - - deep\n",
    "a:\n-\n- b\n",
    "a:\n  b\n",
    "a: `x`\n",
    "a: @x\n",
    "a: %x\n",
    "a: b #c\n#d\ne: f  # g\n",
    "a:   spaced   out   \n",
    "  a: 1\n  b: 2\n",
    "x" * 1100 + ": 1\n",
    "a: é ünïcode 日本\n",
    "a: [\n  b]\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_hand_written_cases(text: str) -> None:
    check(text)


def test_tricky_cases_are_mostly_read() -> None:
    assert sum(check(text) for text in TRICKY) >= 24


def test_deep_and_big_documents_are_left_to_the_loader() -> None:
    deep = "".join(f"{'  ' * i}k{i}:\n" for i in range(70)) + "  " * 70 + "v: 1\n"
    assert fast(deep) is DECLINED
    assert isinstance(full(deep), SpecError)
    big = "".join(f"- {i}\n" for i in range(yamlfull.MAX_NODES + 5))
    assert fast(big) is DECLINED
    assert isinstance(full(big), SpecError)


WORDS = [
    "a",
    "b c",
    "x: y",
    "p # q",
    "#h",
    "'q'",
    '"d"',
    " lead",
    "trail ",
    "multi\nline",
    "two\n\nbreaks",
    "ünï",
    "日本",
    "1e3",
    "0x1F",
    "yes",
    "null",
    "~",
    "2024-01-02",
    "-",
    "- x",
    "[a]",
    "{b}",
    "&a",
    "*b",
    "!t",
    "|",
    ">",
    "%",
    "@",
    "`",
    "a'b",
    'a"b',
    "back\\slash",
    "tab\there",
    "",
    "  ",
    "end\n",
    "long words " * 12,
    ":",
    "?",
    "a:b",
    "1.5",
    "-7",
    "True",
    "=",
    "<<",
]


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        kind = rng.random()
        if kind < 0.7:
            return rng.choice(WORDS) + (rng.choice(WORDS) if rng.random() < 0.3 else "")
        return rng.choice([None, True, False, 0, 7, -3, 1.5, 10**20, float("inf")])
    if roll < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [rng.choice(WORDS) or "k" for _ in range(rng.randint(0, 4))]
    return {key: _value(rng, depth + 1) for key in keys}


STYLES = [
    {},
    {"width": 20},
    {"default_style": "'"},
    {"default_style": '"'},
    {"default_style": "|", "width": 30},
    {"allow_unicode": True, "width": 25},
    {"default_flow_style": None},
    {"indent": 4, "width": 40, "allow_unicode": True},
]


def test_generated_documents_in_many_styles() -> None:
    rng = random.Random(17)
    read = 0
    for n in range(500):
        value = {"k": _value(rng, 0), "name": f"n{n}"} if n % 3 else _value(rng, 0)
        style = STYLES[n % len(STYLES)]
        options: dict[str, Any] = {"default_flow_style": False, "sort_keys": False, **style}
        text = yaml.safe_dump(value, **options)
        read += check(text)
    assert read > 150


EDITS = ["", ": ", "#", " #", "'", '"', "- ", "-", "\t", "|", ">", "[", "{", "&a ", "*", "  "]


def _mutate(rng: random.Random, text: str) -> str:
    rows = text.split("\n")
    i = rng.randrange(len(rows))
    kind = rng.randrange(6)
    if kind == 0:
        del rows[i]
    elif kind == 1:
        rows.insert(i, rows[i])
    elif kind == 2:
        rows[i] = " " * rng.randint(1, 3) + rows[i]
    elif kind == 3:
        rows[i] = rows[i][rng.randint(1, 3) :] if rows[i].startswith(" ") else rows[i]
    else:
        k = rng.randint(0, len(rows[i]))
        rows[i] = rows[i][:k] + rng.choice(EDITS) + rows[i][k + (kind == 5) :]
    return "\n".join(rows)


def test_random_edits_of_specs(tmp_path: Path) -> None:
    corpus.write_corpus(tmp_path, 6, 0)
    sources = sorted(tmp_path.rglob("*.yaml"))[:6]
    examples = REPO / "examples/specs"
    sources += [examples / "git-commit.yaml", examples / "pdf-processing.yaml"]
    rng = random.Random(5)
    read = declined_errors = 0
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for _ in range(150):
            edited = text
            for _ in range(rng.randint(1, 3)):
                edited = _mutate(rng, edited)
            if check(edited):
                read += 1
            elif isinstance(full(edited), SpecError):
                declined_errors += 1
    assert read > 200 and declined_errors > 50


# -- the plain scalars read without PyYAML (yamlsafe._WORDS) -------------------------------------


def test_the_first_characters_are_the_loaders() -> None:
    loader = frozenset(k for k in yamlfull._Loader.yaml_implicit_resolvers if k)
    assert loader == yamlsafe._PLAIN_FIRST


def test_the_words_read_without_pyyaml_are_what_the_loader_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yamlsafe, "_PLAIN", {})
    words = ["yes", "no", "true", "false", "on", "off", "null", "y", "n", "~", "nan", "none"]
    values = {"~~", "~x", "yes\n", "null\n", "no ", "onion", "True1", "Nope", "o", "t", "f"}
    for word in words:
        for i in range(1 << len(word)):  # every mix of cases
            values.add("".join(c.upper() if i >> k & 1 else c for k, c in enumerate(word)))
    values |= {".", "..", "../x.yaml", ".5", "._", ".inf", ".NaN", ".e5", ".x", ".1e+5", ".5\n"}
    values |= {"0", "00", "007", "010", "08", "6000", "1_000", "10:20", "1e3", "0x1F"}
    values |= {"12\n", "\u0661"}
    rng = random.Random(7)
    for _ in range(300):
        first = rng.choice(sorted(yamlsafe._WORD_FIRST))
        values.add(first + "".join(rng.choice("aeflnorsuyENOSU ~-_:.") for _ in range(4)))
    for _ in range(300):
        first = rng.choice(".0123456789")
        values.add(first + "".join(rng.choice("0123456789._:eE+-xabfinINF/") for _ in range(3)))
    for value in sorted(values):
        got, want = yamlsafe._plain(value), yamlfull.resolve_plain(value)
        assert type(got) is type(want) and repr(got) == repr(want), value  # (nan != nan)


def test_a_spec_is_read_without_importing_pyyaml(tmp_path: Path) -> None:
    import subprocess

    spec = (
        "kind: skill\nname: one\ndescription: Does one thing, on request.\nenabled: yes\n"
        "notes: null\nlang: go\naudience: operators\nextends: ../_bases/x.yaml\nlimit: 6000\n"
        "sections:\n- id: a\n  body: |\n    Text.\n"
    )
    odd = "a: &x 1\nb: *x\n"  # an alias: the loader reads it
    code = (
        "import sys; from skillforge.engine.load.yamlsafe import load_yaml;"
        " value, _ = load_yaml(sys.argv[1], 'x.yaml'); print(value['enabled'], value['notes'],"
        " 'yaml' in sys.modules, 'datetime' in sys.modules)"
    )
    for text, imported in ((spec, "False False"), (odd, "True True")):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                code.replace("value['enabled'], value['notes']", "1") if text is odd else code,
                text,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        out = done.stdout.split()
        assert " ".join(out[-2:]) == imported, done.stdout
        if text is spec:
            assert out[:2] == ["True", "None"]
