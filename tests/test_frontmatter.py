"""Deterministic frontmatter that round-trips through yaml.safe_load (DESIGN §4)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from skillforge.targets.claude import emit, frontmatter_values


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
