"""Targets: the registry, and the engine asking the target instead of knowing a format."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from skillforge.cache import keys
from skillforge.cache.local import CODE_KEYS
from skillforge.errors import ConfigError
from skillforge.state.buildlog import LAYERS
from skillforge.targets import DEFAULT, TARGETS, get_target
from skillforge.targets.base import Target
from skillforge.targets.claude import ClaudeCode

ENGINE = Path(__file__).parent.parent / "skillforge" / "engine"
# Claude Code's paths, file names and keys: none of them may be spelled in the engine.
CLAUDE_LITERALS = (".claude", "SKILL.md", "skills/", "agents/", "allowed-tools", "when_to_use")


def test_claude_is_registered_and_the_default() -> None:
    assert DEFAULT == ("claude",)
    target = get_target("claude")
    assert isinstance(target, ClaudeCode)
    assert isinstance(target, Target)
    assert TARGETS["claude"] is target
    assert target.out == ".claude"


def test_an_unknown_target_is_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="did you mean 'claude'"):
        get_target("cluade")


def test_claude_paths_and_recognition_agree() -> None:
    target = get_target("claude")
    for kind in target.kinds:
        path = target.document(kind, "pdf-tools")
        assert target.recognise(f".claude/{path}") == (kind, "pdf-tools")
    assert target.document("skill", "x") == "skills/x/SKILL.md"
    assert target.files_folder("skill", "x") == "skills/x"
    assert target.document("agent", "x") == "agents/x.md"
    assert target.recognise("docs/readme.md") is None


def test_the_engine_spells_no_claude_path_or_key() -> None:
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and any(x in node.value for x in CLAUDE_LITERALS)
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert found == []


def test_cache_key_layers_agree_with_the_build_records() -> None:
    assert tuple(LAYERS) == keys.COUNTED_LAYERS
    assert CODE_KEYS == keys.CODE_PREFIXES
    assert len({p.prefix for p in keys.PREFIXES}) == len(keys.PREFIXES)
    assert not any(p.code and p.shareable for p in keys.PREFIXES)
