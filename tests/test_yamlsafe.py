"""The YAML loader: any text either loads or raises skillforge's own error, with lines."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from skillforge.engine.load.yamlsafe import load_yaml
from skillforge.errors import SpecError

yaml_chars = st.sampled_from([*"ab1 -:[]{},&*!|>'\"#\n\t.?%@`\\", "\x00", "é", "\u2028"])


@settings(max_examples=300, deadline=None)
@given(st.text(yaml_chars, max_size=60))
def test_any_text_loads_or_raises_spec_error(text: str) -> None:
    try:
        load_yaml(text, "specs/x.yaml")
    except SpecError as exc:
        assert exc.problems and all(p.file == "specs/x.yaml" for p in exc.problems)


plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_safe_dump_round_trips_through_the_loader(value: object) -> None:
    text = yaml.safe_dump(value)
    loaded, _ = load_yaml(text, "x.yaml")
    assert loaded == value


def test_lines_of_keys_and_items() -> None:
    _, lines = load_yaml("a: 1\nsections:\n  - id: x\n    body: hi\n  - id: y\n", "x.yaml")
    assert lines[("a",)] == 1
    assert lines[("sections", 0, "id")] == 3
    assert lines[("sections", 1)] == 5


def test_dates_stay_strings() -> None:
    value, _ = load_yaml("when: 2024-01-02\nversion: 1.10\n", "x.yaml")
    assert value == {"when": "2024-01-02", "version": 1.1}


def test_limits_count_string_values_too() -> None:
    """A string value is built without a call of its own; the depth and node limits see it."""
    import pytest

    def nested(levels: int) -> str:  # a string `levels` mappings deep
        keys = "".join(f"{'  ' * i}k{i}:\n" for i in range(levels - 1))
        return keys + "  " * (levels - 1) + "leaf: text\n"

    assert load_yaml(nested(64), "ok.yaml")[0]  # the string is at depth 64: allowed
    with pytest.raises(SpecError, match="nested more than 64 levels deep"):
        load_yaml(nested(65), "deep.yaml")
    wide = "a: &a {" + ", ".join(f"k{i}: v" for i in range(400)) + "}\n"
    wide += "b: &b [" + ", ".join(["*a"] * 300) + "]\n"
    with pytest.raises(SpecError, match="YAML aliases expanding exponentially"):
        load_yaml(wide, "wide.yaml")
