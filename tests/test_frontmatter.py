"""Deterministic frontmatter that round-trips through yaml.safe_load (DESIGN §4)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from skillforge.targets.claude import emit, frontmatter_values
from skillforge.targets.frontmatter import Quoted, _direct, _dump, dump, prune


def test_key_order_and_quoting() -> None:
    text = emit(
        "skill",
        {
            "kind": "skill",
            "metadata": {"version": "1.2"},
            "license": "MIT",
            "description": "Does things: well. Use when needed.",
            "name": "x",
            "allowed-tools": ["Read", "Grep"],
            "frontmatter": {"x-new-key": True},
        },
    )
    assert text == (
        "name: x\n"
        'description: "Does things: well. Use when needed."\n'
        "license: MIT\n"
        "metadata:\n"
        '  version: "1.2"\n'
        "allowed-tools: Read Grep\n"
        "x-new-key: true\n"
    )


def test_allowed_tools_with_spaces_become_a_block_list() -> None:
    text = emit(
        "skill",
        {"name": "g", "description": "d", "allowed-tools": ["Bash(git log:*)", "Read"]},
    )
    assert "allowed-tools:\n- Bash(git log:*)\n- Read\n" in text
    assert yaml.safe_load(text)["allowed-tools"] == ["Bash(git log:*)", "Read"]


def test_agent_tools_are_joined_with_commas() -> None:
    text = emit("agent", {"name": "a", "description": "d", "tools": ["Read", "Grep", "Glob"]})
    assert yaml.safe_load(text)["tools"] == "Read, Grep, Glob"


def test_multiline_description_is_one_double_quoted_line_with_newlines_kept() -> None:
    description = 'Reviews code.\n\n<example>\nuser: "Check  this"\n</example>\n'
    text = emit("agent", {"name": "a", "description": description})
    assert text.splitlines()[1] == (
        'description: "Reviews code.\\n\\n<example>\\nuser: \\"Check  this\\"\\n</example>\\n"'
    )
    assert yaml.safe_load(text)["description"] == description  # the final newline too


def test_a_tools_field_keep_lists_names_is_a_block_list() -> None:
    data = {"name": "a", "description": "d", "tools": ["Read", "Grep"], "keep-lists": ["tools"]}
    text = emit("agent", data)
    assert "tools:\n- Read\n- Grep\n" in text  # block style, never a flow []
    assert yaml.safe_load(text)["tools"] == ["Read", "Grep"]
    assert "keep-lists" not in text
    skill = {
        "name": "s",
        "description": "d",
        "allowed-tools": ["Read"],
        "disallowed-tools": ["Bash"],
    }
    skill["keep-lists"] = ["disallowed-tools"]
    values = yaml.safe_load(emit("skill", skill))
    assert values["allowed-tools"] == "Read"
    assert values["disallowed-tools"] == ["Bash"]


def test_empty_lists_and_maps_are_left_out() -> None:
    text = emit(
        "agent",
        {
            "name": "a",
            "description": "d",
            "skills": [],
            "mcpServers": {},
            "hooks": {"PreToolUse": []},
            "frontmatter": {"x-list": [[], {}], "x-map": {"keep": [1, []], "drop": {}}},
        },
    )
    assert text == 'name: a\ndescription: "d"\nx-map:\n  keep:\n  - 1\n'
    assert "[]" not in text and "{}" not in text


def test_output_is_deterministic() -> None:
    data = {"name": "a", "description": "d", "metadata": {"b": 1, "a": "2.0"}}
    assert emit("skill", data) == emit("skill", dict(reversed(list(data.items()))))


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029"),
    max_size=40,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), text_values)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    name=st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True).filter(lambda s: len(s) <= 64),
    description=text_values.filter(lambda s: s.strip() != ""),
    tools=st.lists(st.from_regex(r"[A-Za-z]+(\([a-z :*]+\))?", fullmatch=True), max_size=4),
    metadata=st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=3),
    extra=st.dictionaries(st.from_regex(r"x-[a-z]+", fullmatch=True), values, max_size=2),
)
def test_any_valid_skill_frontmatter_round_trips(
    name: str, description: str, tools: list[str], metadata: dict[str, Any], extra: dict[str, Any]
) -> None:
    data = {
        "kind": "skill",
        "name": name,
        "description": description,
        "allowed-tools": tools,
        "metadata": metadata,
        "frontmatter": extra,
    }
    text = emit("skill", data)
    assert yaml.safe_load(text) == {
        k: (str(v) if k == "description" else v)
        for k, v in frontmatter_values("skill", data).items()
    }
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\n" not in text.split("description: ", 1)[1].split("\n", 1)[0]


# -- the direct emitter (targets/frontmatter.py `_direct`) writes PyYAML's exact bytes --------

# the characters that change how YAML writes a string: quotes, escapes, indicators, spaces,
# line breaks and separators, controls, a BOM, non-ASCII letters, astral characters
TRICKY = (
    " \"'\\#:-?,[]{}&*!|>%@`~=<+./()_\t\n\r\x00\x07\x1b\x7f\x85\xa0\xad\u2028\u2029\ufeff"
    "\ufffe\uffff\u00e9\u2014\u4e2d\U0001f600"
)
SPECIAL_WORDS = (
    "",
    " ",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "null",
    "Null",
    "NULL",
    "~",
    "true",
    "False",
    "1",
    "0o7",
    "0x1f",
    "1_000",
    "1.5",
    "1e3",
    ".inf",
    ".NaN",
    "1.2.3",
    "v1.2",
    "v1",
    "2024-01-02",
    "12:30",
    "<<",
    "=",
    "-",
    "- a",
    "a: b",
    "a :b",
    "a:",
    "a #b",
    "a#b",
    "#a",
    "---",
    "...",
    "a  b",
    "a ",
    " a",
    "Bash(git log:*)",
    "Read, Grep",
    "Read Grep Glob",
    "MIT",
    "x" * 300,
    "a\nb",
    "a\n",
    "1.2\n",
    "v2\n\n",
    "caf\u00e9",
)
words = st.one_of(
    st.sampled_from(SPECIAL_WORDS),
    st.text(alphabet=st.sampled_from("abcXYZ019" + TRICKY), max_size=12),
    st.from_regex(
        r"[A-Za-z][A-Za-z0-9_.()*,/+:-]{0,10}( [A-Za-z0-9:()-]{1,6}){0,3}", fullmatch=True
    ),
    st.characters(blacklist_categories=("Cs",)).map(lambda c: f"a{c}b"),
)
leaves = st.one_of(
    words,
    words.map(Quoted),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.none(),
    st.floats(allow_nan=False),
)
keys = st.one_of(
    st.sampled_from(("name", "description", "allowed-tools", "x_y", "on", "Yes", "a b", "1", "")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True),
    words,
)
head_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, head_values, max_size=6))
def test_the_direct_emitter_writes_pyyamls_bytes(values: dict[str, Any]) -> None:
    assert dump(values) == _dump(values)


def test_the_direct_emitter_writes_the_common_heads_itself() -> None:
    common = {
        "name": "review-code-0001",
        "description": Quoted('Reviews "code" \\ diffs \u2014 caf\u00e9.\nUse when asked.'),
        "license": "MIT",
        "metadata": {"version": "1.8", "owner": "team-a"},
        "allowed-tools": ["Bash(git log:*)", "Read"],
        "tools": "Read, Grep, Glob",
        "mode": "subagent",
        "permissions": {"read": True, "edit": False, "steps": 3},
        "model": None,
    }
    lines: list[str] = []
    assert _direct(common, "", lines)  # no PyYAML involved
    assert "".join(lines) == _dump(common)
    for unsure in ("yes", "a: b", "", "x\ty", "\u2028", "a\nb", " a"):
        assert not _direct({"k": unsure}, "", [])
        assert dump({"k": unsure}) == _dump({"k": unsure})
    for unsure_quoted in ("\u2028", "\x85", "\U0001f600", "\ufeff", "\r\n", "\x00"):
        assert not _direct({"k": Quoted(unsure_quoted)}, "", [])
        assert dump({"k": Quoted(unsure_quoted)}) == _dump({"k": Quoted(unsure_quoted)})


def test_the_direct_emitters_memory_tells_a_quoted_string_from_a_plain_one() -> None:
    """`_scalar` remembers its answers by the exact string (the targets of a spec write the
    same ones): a plain and a `Quoted` string of the same text, a key seen before given as
    a `Quoted` one, and answers of "unsure" are each what PyYAML writes, every time."""
    for _ in range(2):
        for values in (
            {"name": "plain-words", "description": Quoted("plain-words")},
            {"name": Quoted("1.2"), "description": "1.2"},
            {"name": "yes", "description": Quoted("yes")},
            {Quoted("name"): "first", "name": "second"},
            {"k": "a: b", "j": Quoted("a: b")},
        ):
            assert dump(values) == _dump(values), values


def _pruned(value: Any) -> Any:
    """What `prune` is: the value with its empty lists and maps dropped, at every depth."""
    empty = lambda v: isinstance(v, (list, dict)) and not v  # noqa: E731
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not empty(v)}
    if isinstance(value, list):
        return [v for v in (_pruned(v) for v in value) if not empty(v)]
    return value


nested = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=3), nested, max_size=4))
def test_prune_drops_every_empty_list_and_map_and_nothing_else(values: dict[str, Any]) -> None:
    pruned = prune(values)
    assert pruned == _pruned(values)
    assert list(pruned) == list(_pruned(values))  # in order
