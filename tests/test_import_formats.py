"""`skillforge import`: the specs it writes name the schema, and other targets' folders import."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from helpers import run
from test_import import BROKEN, COMMANDS, EDGES, GOOD, factor_tree, write_tree

MODELINE = "# yaml-language-server: $schema="


def spec_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "specs").rglob("*.yaml") if "_files" not in p.parts)


def check_against_the_project_schema(root: Path) -> int:
    """Validate every spec under `root/specs` against the schema its first line names."""
    checked = 0
    for spec in spec_files(root):
        first = spec.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith(MODELINE), spec
        schema_path = (spec.parent / first[len(MODELINE) :]).resolve()
        assert schema_path == (root / "schemas/spec.schema.json").resolve(), spec
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(data)]
        assert errors == [], (spec, errors)
        checked += 1
    return checked


def test_every_spec_import_writes_names_and_validates_against_the_project_schema(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {**GOOD, **COMMANDS, **BROKEN, **EDGES})
    result = run(tmp_path, "import", "--include-broken")
    assert result.code == 0, result.out
    assert "created schemas/spec.schema.json" in result.out
    imported = int(result.out.split(" files read: ")[1].split(" imported")[0])
    assert imported >= len(GOOD) - 2 + len(COMMANDS) + len(BROKEN)
    assert check_against_the_project_schema(tmp_path) == imported
    assert (
        (tmp_path / "specs/skills/ci-helper.yaml")
        .read_text()
        .startswith(
            "# yaml-language-server: $schema=../../schemas/spec.schema.json\n"
            "# imported by skillforge from .claude/skills/ci-helper/SKILL.md\n"
        )
    )


def test_factored_specs_validate_and_an_existing_schema_copy_is_kept(tmp_path: Path) -> None:
    write_tree(tmp_path, factor_tree(3))
    (tmp_path / "schemas").mkdir()
    mine = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#"})
    (tmp_path / "schemas/spec.schema.json").write_text(mine, encoding="utf-8")
    result = run(tmp_path, "import", "--factor")
    assert result.code == 0, result.out
    assert "created schemas/spec.schema.json" not in result.out
    assert "created schemas/config.schema.json" in result.out
    assert (tmp_path / "schemas/spec.schema.json").read_text(encoding="utf-8") == mine
    (tmp_path / "schemas/spec.schema.json").unlink()  # validate against the real one
    assert run(tmp_path, "import", "--dry-run").code == 1  # every spec exists: all skipped
    assert not (tmp_path / "schemas/spec.schema.json").exists()  # a dry run writes nothing
    assert run(tmp_path, "import").code == 1
    assert not (tmp_path / "schemas/spec.schema.json").exists()  # nothing imported: not written
    from skillforge.engine.load.jsonschema import schema_text

    (tmp_path / "schemas/spec.schema.json").write_text(schema_text("spec"), encoding="utf-8")
    assert check_against_the_project_schema(tmp_path) == 4
    assert any(
        "template" in s
        for s in yaml.safe_load((tmp_path / "specs/skills/tool-1.yaml").read_text())["sections"]
    )
