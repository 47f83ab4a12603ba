"""Property tests: the spec loader, the manifest reader and the agent frontmatter emitter.

Whatever a spec file holds, loading it gives a `Spec` or raises skillforge's own `SpecError`
(never another exception, which would surface as an internal error). Whatever bytes the
manifest holds, reading it gives a manifest, None, or the ValueError the build turns into a
warning. Any valid agent's frontmatter round-trips through `yaml.safe_load`.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillforge.engine.load.config import load_config
from skillforge.engine.load.schema import OWN_KEYS, SECTION_KEYS
from skillforge.engine.load.spec import Spec, SpecLoader
from skillforge.errors import SpecError
from skillforge.state.inventory import scan
from skillforge.state.manifest import read_manifest
from skillforge.targets.claude import AGENT_KEYS, SKILL_KEYS, emit, frontmatter_values

SPEC = "specs/x.yaml"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("props")
    (root / "specs/_bases").mkdir(parents=True)
    (root / "traits").mkdir()
    (root / ".skillforge.toml").write_text("[build]\nmax_spec_bytes = 20000\n")
    (root / "specs/_bases/base.yaml").write_text("kind: skill\nlicense: MIT\n")
    (root / "traits/safety.yaml").write_text(
        textwrap.dedent(
            """
            vars: {safe: true}
            sections:
              - id: safety
                body: Be careful.
            """
        )
    )
    return root


def load(root: Path, data: bytes) -> Spec | None:
    (root / SPEC).write_bytes(data)
    config = load_config(root / ".skillforge.toml")
    inventory = scan(str(root), [str(root / "specs")], [str(root / "traits")], [])
    try:
        return SpecLoader(config, inventory).load(SPEC)
    except SpecError as exc:
        assert exc.problems
        assert all(p.file in (SPEC, "specs/_bases/base.yaml") for p in exc.problems)
        return None


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["skill", "agent", "safety", "_bases/base.yaml", "../x.yaml", "/etc/x"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
sections = st.lists(
    st.dictionaries(st.sampled_from([*SECTION_KEYS, "bdy"]), values, max_size=4), max_size=3
)
keys = st.sampled_from(sorted({*SKILL_KEYS, *AGENT_KEYS, *OWN_KEYS, "descripton", "colour"}))
specs = st.dictionaries(keys, values, max_size=8).flatmap(
    lambda d: st.one_of(st.just(d), sections.map(lambda s: {**d, "sections": s}))
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs)
def test_any_structured_spec_loads_or_raises_spec_error(workspace: Path, data: Any) -> None:
    spec = load(workspace, yaml.safe_dump(data).encode())
    if spec is not None:
        assert spec.kind in ("skill", "agent") and isinstance(spec.name, str)


yaml_text = st.text(
    st.sampled_from([*"kind:skil agent name-x\n  []{},&*!|>'\"#.-?%@`", "\x00", "é", "\ufeff"]),
    max_size=80,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(yaml_text.map(str.encode), st.binary(max_size=80)))
def test_any_bytes_load_or_raise_spec_error(workspace: Path, data: bytes) -> None:
    load(workspace, data)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200))
def test_any_manifest_bytes_read_or_raise_value_error(workspace: Path, data: bytes) -> None:
    cache = workspace / ".skillforge"
    cache.mkdir(exist_ok=True)
    (cache / "manifest.bin").write_bytes(data)
    try:
        read_manifest(str(cache))
    except ValueError:
        pass
    finally:
        os.unlink(cache / "manifest.bin")


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029"),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
        lambda s: not s.startswith("-") and ":" not in s and s.strip() == s and s != ""
    ),
    description=text_values.filter(lambda s: s.strip() != ""),
    tools=st.lists(st.from_regex(r"[A-Za-z]+(\([a-z :*]+\))?", fullmatch=True), max_size=4),
    model=st.sampled_from(["sonnet", "opus", "haiku", "inherit", "1.0"]),
    max_turns=st.integers(1, 100),
)
def test_any_valid_agent_frontmatter_round_trips(
    name: str, description: str, tools: list[str], model: str, max_turns: int
) -> None:
    data = {
        "kind": "agent",
        "name": name,
        "description": description,
        "tools": tools,
        "model": model,
        "maxTurns": max_turns,
    }
    text = emit("agent", data)
    assert yaml.safe_load(text) == {
        k: (str(v) if k == "description" else v)
        for k, v in frontmatter_values("agent", data).items()
    }
    assert text.endswith("\n") and not text.endswith("\n\n")
