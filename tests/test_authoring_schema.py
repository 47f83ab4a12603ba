"""`skillforge schema`: a draft-07 JSON Schema made from the validator's own tables."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import build_file_tree, run

from skillforge.engine.load import config as config_tables
from skillforge.engine.load import schema as tables
from skillforge.engine.load.jsonschema import config_schema, json_type, schema_text, spec_schema
from skillforge.targets import TARGETS
from skillforge.targets.claude import ENUMS

ROOT = Path(__file__).resolve().parent.parent


def validator() -> jsonschema.Draft7Validator:
    schema = spec_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(data: Any) -> list[str]:
    return [e.message for e in validator().iter_errors(data)]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` with its mtime and size."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return found


def test_every_key_the_validator_knows_is_in_the_schema_and_the_reverse() -> None:
    schema = spec_schema()
    assert set(schema["properties"]) == set(tables.ALL_KEYS) | {"name", "description"}
    section = schema["definitions"]["section"]["properties"]
    assert tuple(section) == tables.SECTION_KEYS
    assert tuple(schema["definitions"]["file"]["properties"]) == tables.FILE_KEYS
    assert schema["properties"]["kind"]["enum"] == list(tables.KINDS)
    for key, (types, _) in tables.TYPES.items():
        entry = schema["properties"][key]
        if "anyOf" in entry:  # a list of tools, or one string
            assert (
                {a["type"] for a in entry["anyOf"]}
                == {"array", "string"}
                == {json_type((t,))["type"] for t in types}
            ), key
        else:
            assert entry["type"] == json_type(types)["type"], key
    for key, values in ENUMS.items():
        assert schema["properties"][key]["enum"] == list(values), key
    for entry in schema["properties"].values():
        assert entry["description"], entry


def test_each_kind_allows_exactly_its_targets_keys() -> None:
    rules = {r["if"]["properties"]["kind"]["const"]: r["then"] for r in spec_schema()["allOf"]}
    assert set(rules) == set(tables.KINDS)
    for kind, then in rules.items():
        allowed = set(then["propertyNames"]["enum"])
        keys = {k for t in TARGETS.values() if kind in t.kinds for k in t.keys(kind)}
        assert keys <= allowed
        assert allowed - keys <= set(tables.OWN_KEYS) | {"name", "description"}
    assert "file" not in rules["skill"]["propertyNames"]["enum"]
    assert "folder" not in rules["agent"]["propertyNames"]["enum"]


def test_the_schema_accepts_every_spec_of_the_example_project() -> None:
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        assert errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == [], path


def test_the_schema_accepts_what_init_and_new_write(tmp_path: Path) -> None:
    assert run(tmp_path, "init").code == 0
    assert run(tmp_path, "new", "skill", "pdf-tools", "--traits", "concise").code == 0
    assert run(tmp_path, "new", "agent", "reviewer").code == 0
    # `kind: command` is valid once the validator knows it (tables.KINDS); until then `new`
    # writes the spec without building it, and the schema says what the validator says
    assert run(tmp_path, "new", "command", "fix-issue").code == 0
    specs = sorted((tmp_path / "specs").rglob("*.yaml"))
    assert len(specs) == 5
    project_copy = json.loads((tmp_path / "schemas/spec.schema.json").read_text())
    assert project_copy == spec_schema()
    config_copy = json.loads((tmp_path / "schemas/config.schema.json").read_text())
    assert config_copy == config_schema()
    config_text = (tmp_path / ".skillforge.toml").read_text()
    assert config_text.startswith("#:schema ./schemas/config.schema.json\n")  # taplo
    check = jsonschema.Draft7Validator(config_copy)
    assert list(check.iter_errors(tomllib.loads(config_text))) == []
    for path in specs:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../schemas/spec.schema.json\n")
        data = yaml.safe_load(text)
        if data["kind"] in tables.KINDS:
            assert errors(data) == [], path
        else:
            assert errors(data) == ["'command' is not one of ['skill', 'agent']"], path


@pytest.mark.parametrize(
    ("data", "wanted"),
    [
        ({"kind": "skill", "name": "a", "description": "d", "tags": [1]}, "tags"),
        ({"kind": "skill", "name": "a", "description": "d", "traits": "safety"}, "array"),
        ({"kind": "agent", "name": "a", "description": "d", "maxTurns": "3"}, "integer"),
        ({"kind": "agent", "name": "a", "description": "d", "color": "grey"}, "grey"),
        ({"kind": "widget", "name": "a", "description": "d"}, "widget"),
        ({"kind": "skill", "sections": [{"id": "x", "bodyy": "t"}]}, "bodyy"),
        ({"kind": "skill", "sections": [{"id": "Not A Slug", "body": "t"}]}, "Not A Slug"),
        ({"kind": "skill", "sections": [{"id": "x", "body": "t", "template": "t"}]}, "valid"),
        ({"kind": "skill", "files": [{"src": "a.md"}]}, "dest"),
        ({"kind": "skill", "name": "a", "description": "d", "tools": ["Read"]}, "tools"),
        ({"kind": "agent", "name": "a", "description": "d", "folder": "x"}, "folder"),
    ],
)
def test_the_schema_rejects_unknown_keys_and_wrong_types(data: Any, wanted: str) -> None:
    found = errors(data)
    assert found, data
    assert any(wanted in message for message in found), found


def test_the_validator_agrees_on_the_rejected_examples(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "specs/a.yaml": "kind: skill\nname: a\ndescription: d\ntags: [1]\n",
            "specs/b.yaml": "kind: agent\nname: b\ndescription: d\nmaxTurns: '3'\n",
        },
    )
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "unknown key 'tags'" in result.err
    assert "maxTurns: must be a whole number" in result.err


def test_schema_prints_the_spec_schema_and_writes_nothing(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = run(tmp_path, "schema")
    assert result.code == 0
    assert json.loads(result.out) == spec_schema()
    assert snapshot(tmp_path) == before


def test_the_shipped_copies_are_the_generated_schemas() -> None:
    folder = ROOT / "skillforge" / "schemas"
    assert (folder / "spec.schema.json").read_text() == schema_text("spec")
    assert (folder / "config.schema.json").read_text() == schema_text("config")


def test_the_config_schema_follows_the_config_loader() -> None:
    schema = config_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert set(schema["properties"]) == set(config_tables._TOP_KEYS)
    for table, keys in config_tables._TABLE_KEYS.items():
        assert set(schema["properties"][table]["properties"]) == set(keys)
    check = jsonschema.Draft7Validator(schema)
    example = tomllib.loads((ROOT / ".skillforge.toml").read_text())
    assert list(check.iter_errors(example)) == []
    scaffold = tomllib.loads((ROOT / "skillforge/scaffold/.skillforge.toml").read_text())
    assert list(check.iter_errors(scaffold)) == []
    assert list(check.iter_errors({"spec": ["specs"]}))
    assert list(check.iter_errors({"build": {"jobs": "4"}}))


def test_schema_config_and_a_bad_choice(tmp_path: Path) -> None:
    result = run(tmp_path, "schema", "config")
    assert result.code == 0
    assert json.loads(result.out) == config_schema()
    bad = run(tmp_path, "schema", "nope")
    assert bad.code == 2
    assert bad.out == ""
