"""JSON Schemas (draft-07) of a spec and of `.skillforge.toml`, made from the validator's tables.

`skillforge schema` prints them; editors read a copy through a `# yaml-language-server:
$schema=...` line. Every key comes from the tables the validator checks against: the keys
of `schema.py` (`OWN_KEYS`, `SECTION_KEYS`, `FILE_KEYS`, `KINDS`, `TYPES`), each target's
keys per kind and its enumerated values, and the config loader's `_TOP_KEYS`/`_TABLE_KEYS`:
a key added there appears here, and tests/test_authoring_schema.py proves both directions.
What this module adds is only what the tables do not say: one line of description per key.
"""

from __future__ import annotations

import importlib
from typing import Any

from skillforge.engine.load import config as config_tables
from skillforge.engine.load import schema
from skillforge.targets import TARGETS

DRAFT = "http://json-schema.org/draft-07/schema#"
SPEC_ID = "https://skillforge.invalid/schemas/spec.schema.json"
CONFIG_ID = "https://skillforge.invalid/schemas/config.schema.json"

# One line per key, shown by the editor on hover. A key without one gets a generic line.
DESCRIPTIONS: dict[str, str] = {
    "kind": "What this spec builds.",
    "name": "The skill's or agent's name; the output's folder or file unless folder/file is set.",
    "description": "What it does and when to use it: the text a tool lists in every session.",
    "folder": "A skill's output folder (a slug) when it must differ from name.",
    "file": "An agent's output file name (a slug, without .md) when it must differ from name.",
    "extends": "One base spec, a path relative to this file; merged first.",
    "traits": "Mixins from traits/<name>.yaml, merged in this order after the base.",
    "vars": "Free data for templates, read as {{ vars.<name> }}.",
    "sections": "The body, in order; each section has an id and a body or a template.",
    "files": "Supporting files copied (or rendered) next to SKILL.md.",
    "frontmatter": "Keys of the target format that skillforge does not know, passed through.",
    "keep-lists": "Tools fields written as the YAML list given, not one string (import).",
    "render": "false: keep every string this file sets as written (no Jinja).",
    "targets": "Per-target adjustments: false leaves the spec out, a mapping overrides fields.",
    "license": "The skill's license (portable Agent Skills field).",
    "compatibility": "Environments the skill needs (portable Agent Skills field).",
    "metadata": "Free key/value data emitted in the frontmatter.",
    "allowed-tools": "Tools the skill may use without asking while it is active.",
    "disallowed-tools": "Tools the skill may not use.",
    "when_to_use": "When Claude should use the skill; follows the description in the listing.",
    "argument-hint": "The hint shown after the slash command, e.g. [file].",
    "arguments": "Named arguments of the slash command.",
    "disable-model-invocation": "true: only the user can invoke it (as a slash command).",
    "user-invocable": "false: hide it from the slash-command menu.",
    "model": "The model: an alias (sonnet, opus, haiku, inherit) or a full model ID.",
    "effort": "Reasoning effort.",
    "context": "fork: run in a forked context.",
    "agent": "The subagent that runs the skill (with context: fork).",
    "hooks": "Hooks scoped to this skill or agent.",
    "paths": "Glob patterns of the files that make the skill relevant.",
    "shell": "The shell of the skill's !command blocks.",
    "tools": "Tools the agent may use; leave out to inherit all tools.",
    "disallowedTools": "Tools the agent may not use.",
    "permissionMode": "How the agent asks for permission.",
    "maxTurns": "The most turns the agent may take.",
    "skills": "Skills preloaded into the agent's context.",
    "mcpServers": "MCP servers available to the agent.",
    "memory": "Where the agent keeps its persistent memory.",
    "background": "true: always run the agent in the background.",
    "isolation": "worktree: run the agent in a temporary git worktree.",
    "color": "The agent's colour in the interface.",
    "initialPrompt": "The first user turn when the agent runs as the main session.",
}
SECTION_DESCRIPTIONS: dict[str, str] = {
    "id": "A slug, unique in the spec; a later layer with the same id replaces this section.",
    "title": 'Rendered as a "## <title>" heading; leave out for none.',
    "body": "Inline Markdown, rendered as Jinja unless render: false.",
    "template": "A section template, e.g. sections/steps.md.j2 (see skillforge templates).",
    "with": "The template's own data, read as section.with.",
    "render": "false: keep the body, title and with: values as written.",
    "before": "Place this section before the section with this id.",
    "after": "Place this section after the section with this id.",
}
FILE_DESCRIPTIONS: dict[str, str] = {
    "src": "The file, relative to the spec's folder.",
    "dest": "Where it goes, relative to the skill folder.",
    "render": "true: render the file as Jinja.",
}
# The types of section and file keys (schema.py checks them inline; the keys are its tables').
SECTION_TYPES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "pattern": schema.SLUG.pattern},
    "title": {"type": "string"},
    "body": {"type": "string"},
    "template": {"type": "string"},
    "with": {"type": "object"},
    "render": {"type": "boolean"},
    "before": {"type": "string"},
    "after": {"type": "string"},
}
FILE_TYPES: dict[str, dict[str, Any]] = {
    "src": {"type": "string", "minLength": 1},
    "dest": {"type": "string", "minLength": 1},
    "render": {"type": "boolean"},
}
CONFIG_DESCRIPTIONS: dict[str, str] = {
    "specs": "Folders holding the specs.",
    "traits": "Folders holding the traits.",
    "templates": "Folders holding the project's templates (they override the built-in ones).",
    "out": "The output folder (Claude Code's .claude by default).",
    "cache_dir": "The cache and manifest folder.",
    "vars": "Project-wide data, read in templates as {{ project.<name> }}.",
    "budgets": "Size and token budgets of the outputs.",
    "cache": "The cache's size limit and the build records kept.",
    "build": "Build limits: jobs, file sizes, render time, the marker comment.",
    "targets": 'The tools to build for, e.g. ["claude"].',
}
_JSON_TYPES = {
    str: "string",
    list: "array",
    dict: "object",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def json_type(types: tuple[type, ...]) -> dict[str, Any]:
    """The JSON Schema `type` of a tuple of Python types (`(int, float)` is a number)."""
    names = [_JSON_TYPES[t] for t in types if t in _JSON_TYPES]
    if "integer" in names and "number" in names:
        names.remove("integer")
    return {"type": names[0]} if len(names) == 1 else {"type": names}


def target_enums() -> dict[str, tuple[str, ...]]:
    """The enumerated values of every target's fields (each target module's `ENUMS`)."""
    found: dict[str, tuple[str, ...]] = {}
    for target in TARGETS.values():
        module = importlib.import_module(type(target).__module__)
        for key, values in getattr(module, "ENUMS", {}).items():
            found[key] = tuple(dict.fromkeys((*found.get(key, ()), *values)))
    return found


def _key_schema(key: str, enums: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if key in schema.TYPES:
        entry.update(json_type(schema.TYPES[key][0]))
    if key in enums:
        entry["enum"] = list(enums[key])
    if key == "kind":
        entry["enum"] = list(schema.KINDS)
    if key in schema._TOOL_KEYS:
        entry = {
            "anyOf": [
                {"type": "array", "items": {"type": "string", "minLength": 1}},
                {"type": "string"},
            ]
        }
    if key in ("traits", "skills"):
        entry["items"] = {"type": "string"}
    if key == "keep-lists":
        entry["items"] = {"enum": sorted(schema._TOOL_KEYS)}
    if key == "sections":
        entry["items"] = {"$ref": "#/definitions/section"}
    if key == "files":
        entry["items"] = {"$ref": "#/definitions/file"}
    owners = [t.title for t in TARGETS.values() if key in t.all_keys()]
    fallback = f"A {' / '.join(owners)} field." if owners else "A skillforge field."
    entry["description"] = DESCRIPTIONS.get(key, fallback)
    return entry


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of one spec file (a spec, a base or a trait)."""
    enums = target_enums()
    keys = sorted(schema.ALL_KEYS | {"name", "description"})
    per_kind = []
    for kind in schema.KINDS:
        allowed = set(schema.OWN_KEYS) | {"name", "description"}
        for target in TARGETS.values():
            if kind in target.kinds:
                allowed.update(target.keys(kind))
        # a skill names its output with `folder`, an agent with `file`, never the other's
        others = {v for k, v in schema.OUTPUT_KEY.items() if k != kind}
        allowed -= others - {schema.OUTPUT_KEY.get(kind)}
        per_kind.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"propertyNames": {"enum": sorted(allowed)}},
            }
        )
    section = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "oneOf": [{"required": ["body"]}, {"required": ["template"]}],
        "properties": {
            k: {**SECTION_TYPES[k], "description": SECTION_DESCRIPTIONS.get(k, "")}
            for k in schema.SECTION_KEYS
        },
    }
    file = {
        "type": "object",
        "additionalProperties": False,
        "required": ["src", "dest"],
        "properties": {
            k: {**FILE_TYPES[k], "description": FILE_DESCRIPTIONS.get(k, "")}
            for k in schema.FILE_KEYS
        },
    }
    return {
        "$schema": DRAFT,
        "$id": SPEC_ID,
        "title": "skillforge spec",
        "description": "One skill or agent (or a base or trait) built by skillforge.",
        "type": "object",
        "additionalProperties": False,
        "properties": {key: _key_schema(key, enums) for key in keys},
        "allOf": per_kind,
        "definitions": {"section": section, "file": file},
    }


def config_schema() -> dict[str, Any]:
    """The JSON Schema of `.skillforge.toml` (for taplo / Even Better TOML)."""
    properties: dict[str, Any] = {}
    for key, (types, _what) in config_tables._TOP_KEYS.items():
        entry: dict[str, Any] = json_type(types)
        if list in types:
            entry = {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}
        if key in config_tables._TABLE_KEYS:
            entry["additionalProperties"] = False
            entry["properties"] = {
                sub: json_type(sub_types)
                for sub, sub_types in config_tables._TABLE_KEYS[key].items()
            }
        if key == "targets":
            entry = _targets_schema()
        entry["description"] = CONFIG_DESCRIPTIONS.get(key, "A skillforge setting.")
        properties[key] = entry
    return {
        "$schema": DRAFT,
        "$id": CONFIG_ID,
        "title": "skillforge config (.skillforge.toml)",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def _targets_schema() -> dict[str, Any]:
    """`targets`: a list of target names, or one table per target (`out`, `models`)."""
    names = list(TARGETS)
    table = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "out": {"type": "string", "description": "The target's output folder."},
            "models": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": 'Model names for this target (sonnet = "gpt-5.1-codex").',
            },
        },
    }
    return {
        "anyOf": [
            {"type": "array", "items": {"enum": names}, "minItems": 1, "uniqueItems": True},
            {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": dict.fromkeys(names, table),
            },
        ]
    }


def schema_text(which: str = "spec") -> str:
    """The schema as the JSON text `skillforge schema` prints and the project copy holds."""
    import json

    value = spec_schema() if which == "spec" else config_schema()
    return json.dumps(value, indent=2, sort_keys=False) + "\n"
