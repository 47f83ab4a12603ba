"""Incremental builds, asserted through report counters and file mtimes (DESIGN §5)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import build_file_tree, build_json, mtimes, project

SHARED = """
kind: skill
name: {name}
description: Uses the shared template.
sections:
  - id: intro
    body: Intro of {name}.
  - id: shared
    title: Shared
    template: sections/shared.md.j2
    with: {{who: team}}
  - id: frag
    template: sections/with-fragment.md.j2
"""


def shared_project(root: Path, n: int = 3, others: int = 2) -> Path:
    files = {
        ".skillforge.toml": "",
        "templates/sections/shared.md.j2": "Shared text for {{ section.with.who }}.\n",
        "templates/sections/with-fragment.md.j2": '{{ fragment("shout", word="hi") }}\n',
        "templates/fragments/shout.md.j2": "{{ word | upper }}!",
    }
    for i in range(n):
        files[f"specs/shared-{i}.yaml"] = SHARED.format(name=f"shared-{i}")
    for i in range(others):
        files[f"specs/other-{i}.yaml"] = (
            f"kind: skill\nname: other-{i}\ndescription: No shared parts.\n"
            f"sections:\n  - id: a\n    body: Only other-{i}.\n"
        )
    build_file_tree(root, files)
    return root


def test_cold_build_writes_every_output(tmp_path: Path) -> None:
    report = build_json(project(tmp_path, skills=2, agents=1))
    assert report["ok"] is True
    assert report["outputs"] == {"written": 3, "unchanged": 0, "removed": 0, "files_written": 0}
    assert report["specs"] == {"total": 3, "parsed": 3, "replayed": 0}
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").is_file()
    assert (tmp_path / ".claude/agents/agent-0.md").is_file()
    assert all(r == ["new spec"] for r in report["reasons"].values())


def test_noop_build_renders_and_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    before = mtimes(tmp_path)
    report = build_json(tmp_path)
    assert report["outputs"]["written"] == 0
    assert report["outputs"]["unchanged"] == 3
    assert report["specs"]["parsed"] == 0
    assert report["sections"] == {"rendered": 0, "cached": 0}
    assert report["documents"] == {"rendered": 0, "cached": 3}
    assert mtimes(tmp_path) == before


def test_one_section_edit_renders_one_section_and_writes_one_file(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=1)
    build_json(tmp_path)
    before = mtimes(tmp_path)
    spec = tmp_path / "specs/skill-1.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Edited notes"))
    report = build_json(tmp_path, "--explain")
    assert report["sections"] == {"rendered": 1, "cached": 2}
    assert report["outputs"]["written"] == 1
    assert report["specs"]["parsed"] == 1
    target = ".claude/skills/skill-1/SKILL.md"
    assert report["written"] == [target]
    assert report["reasons"][target] == ["spec section notes changed"]
    after = mtimes(tmp_path)
    assert [k for k in after if after[k] != before[k]] == [target]
    assert "Edited notes" in (tmp_path / target).read_text()


def test_touch_rebuilds_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    before = mtimes(tmp_path)
    later = time.time() + 5
    for spec in (tmp_path / "specs").rglob("*.yaml"):
        os.utime(spec, (later, later))
    report = build_json(tmp_path)
    assert report["outputs"]["written"] == 0
    assert report["sections"]["rendered"] == 0
    assert mtimes(tmp_path) == before


def test_shared_template_edit_rebuilds_exactly_its_dependents(tmp_path: Path) -> None:
    shared_project(tmp_path, n=3, others=2)
    build_json(tmp_path)
    template = tmp_path / "templates/sections/shared.md.j2"
    template.write_text("Changed shared text for {{ section.with.who }}.\n")
    report = build_json(tmp_path, "--explain")
    assert sorted(report["written"]) == [f".claude/skills/shared-{i}/SKILL.md" for i in range(3)]
    # one render serves all three specs: the section's data is the same in each
    assert report["sections"]["rendered"] == 1
    for reasons in report["reasons"].values():
        assert reasons == ["template sections/shared.md.j2 changed"]
    # the cold build did not keep merged specs; this build did, so the next template edit
    # parses no YAML at all
    assert report["specs"]["parsed"] == 3
    template.write_text("Changed again for {{ section.with.who }}.\n")
    again = build_json(tmp_path)
    assert again["outputs"]["written"] == 3
    assert again["specs"]["parsed"] == 0


def test_fragment_edit_rebuilds_exactly_its_dependents(tmp_path: Path) -> None:
    shared_project(tmp_path, n=2, others=2)
    build_json(tmp_path)
    (tmp_path / "templates/fragments/shout.md.j2").write_text("{{ word | upper }}!!")
    report = build_json(tmp_path)
    assert sorted(report["written"]) == [f".claude/skills/shared-{i}/SKILL.md" for i in range(2)]
    assert report["fragments"] == {"rendered": 1, "cached": 0}
    assert "HI!!" in (tmp_path / ".claude/skills/shared-0/SKILL.md").read_text()


def test_template_edit_with_identical_output_writes_nothing(tmp_path: Path) -> None:
    shared_project(tmp_path, n=2, others=1)
    build_json(tmp_path)
    before = mtimes(tmp_path)
    template = tmp_path / "templates/sections/shared.md.j2"
    template.write_text(
        "{# a comment changes the source, not the output #}\n" + template.read_text()
    )
    report = build_json(tmp_path)
    assert report["sections"]["rendered"] == 1
    assert report["outputs"]["written"] == 0
    assert report["outputs"]["unchanged"] == 3
    assert mtimes(tmp_path) == before


def test_vars_entry_rerenders_only_sections_that_read_it(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/v.yaml": """
                kind: skill
                name: v
                description: Reads vars.
                vars: {lang: python, tone: calm}
                sections:
                  - id: lang
                    body: "Language: {{ vars.lang }}"
                  - id: tone
                    body: "Tone: {{ vars.tone }}"
                  - id: name
                    body: "Name: {{ spec.name }}"
            """,
        },
    )
    build_json(tmp_path)
    spec = tmp_path / "specs/v.yaml"
    spec.write_text(spec.read_text().replace("tone: calm", "tone: brisk"))
    report = build_json(tmp_path, "--explain")
    assert report["sections"] == {"rendered": 1, "cached": 2}
    assert report["reasons"][".claude/skills/v/SKILL.md"] == ["spec section tone changed"]


def test_project_vars_change_rerenders_readers(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": '[vars]\norg = "Acme"\n',
            "specs/p.yaml": """
                kind: skill
                name: p
                description: Reads project vars.
                sections:
                  - id: org
                    body: "Made at {{ project.org }}"
                  - id: plain
                    body: "{{ spec.name }} stays"
            """,
        },
    )
    build_json(tmp_path)
    (tmp_path / ".skillforge.toml").write_text('[vars]\norg = "Globex"\n')
    report = build_json(tmp_path)
    assert report["sections"] == {"rendered": 1, "cached": 1}
    assert "Made at Globex" in (tmp_path / ".claude/skills/p/SKILL.md").read_text()


def test_config_comment_change_renders_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    config = tmp_path / ".skillforge.toml"
    config.write_text("# a comment\n" + config.read_text())
    report = build_json(tmp_path)
    assert report["specs"]["parsed"] == 0
    assert report["outputs"]["written"] == 0


def test_new_spec_builds_only_it(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=0)
    build_json(tmp_path)
    build_file_tree(
        tmp_path,
        {"specs/fresh.yaml": "kind: skill\nname: fresh\ndescription: New.\nsections: []\n"},
    )
    report = build_json(tmp_path)
    assert report["written"] == [".claude/skills/fresh/SKILL.md"]
    assert report["specs"]["parsed"] == 1


def test_deleted_spec_removes_its_output(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=0)
    build_json(tmp_path)
    (tmp_path / "specs/skill-1.yaml").unlink()
    report = build_json(tmp_path)
    assert report["removed"] == [".claude/skills/skill-1/SKILL.md"]
    assert report["outputs"]["removed"] == 1
    assert not (tmp_path / ".claude/skills/skill-1").exists()
    assert build_json(tmp_path)["outputs"]["removed"] == 0


def test_missing_output_is_rewritten(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    (tmp_path / ".claude/skills/skill-0/SKILL.md").unlink()
    report = build_json(tmp_path, "--explain")
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert report["reasons"][".claude/skills/skill-0/SKILL.md"] == ["output missing"]
    assert report["sections"]["rendered"] == 0


def test_trait_edit_rebuilds_specs_using_it(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "traits/safe.yaml": "sections:\n  - id: safety\n    body: Be careful.\n",
            "specs/a.yaml": "kind: skill\nname: a\ndescription: A.\ntraits: [safe]\n",
            "specs/b.yaml": "kind: skill\nname: b\ndescription: B.\n",
        },
    )
    build_json(tmp_path)
    (tmp_path / "traits/safe.yaml").write_text("sections:\n  - id: safety\n    body: Be kind.\n")
    report = build_json(tmp_path, "--explain")
    assert report["written"] == [".claude/skills/a/SKILL.md"]
    assert report["reasons"][".claude/skills/a/SKILL.md"] == ["trait safe changed"]


def test_base_edit_rebuilds_specs_extending_it(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/_bases/base.yaml": "vars: {lang: python}\n",
            "specs/a.yaml": (
                "kind: skill\nname: a\ndescription: A.\nextends: _bases/base.yaml\n"
                "sections:\n  - id: l\n    body: '{{ vars.lang }}'\n"
            ),
            "specs/b.yaml": "kind: skill\nname: b\ndescription: B.\n",
        },
    )
    report = build_json(tmp_path)
    assert report["specs"]["total"] == 2  # the partial under _bases is not built
    (tmp_path / "specs/_bases/base.yaml").write_text("vars: {lang: rust}\n")
    report = build_json(tmp_path, "--explain")
    assert report["written"] == [".claude/skills/a/SKILL.md"]
    assert report["reasons"][".claude/skills/a/SKILL.md"] == ["base specs/_bases/base.yaml changed"]
    assert "rust" in (tmp_path / ".claude/skills/a/SKILL.md").read_text()


def test_project_template_overrides_builtin_and_rebuilds(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_json(tmp_path)
    build_file_tree(
        tmp_path, {"templates/sections/steps.md.j2": "Override: {{ section.with.steps|length }}\n"}
    )
    report = build_json(tmp_path, "--explain")
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert "Override: 2" in (tmp_path / ".claude/skills/skill-0/SKILL.md").read_text()


def test_paths_filter_builds_only_those_specs(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=1)
    report = build_json(tmp_path, "specs/agents")
    assert report["specs"]["total"] == 1
    assert report["written"] == [".claude/agents/agent-0.md"]
    assert not (tmp_path / ".claude/skills").exists()


def test_force_rerenders_from_cache_but_writes_nothing_unchanged(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    before = mtimes(tmp_path)
    report = build_json(tmp_path, "--force")
    assert report["specs"]["parsed"] == 3
    assert report["sections"]["rendered"] == 0
    assert report["outputs"]["written"] == 0
    assert mtimes(tmp_path) == before


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    report = build_json(tmp_path, "--dry-run")
    assert report["dry_run"] is True
    assert len(report["written"]) == 3
    assert not (tmp_path / ".claude").exists()
    assert not (tmp_path / ".skillforge").exists()
    assert build_json(tmp_path)["outputs"]["written"] == 3


def test_parallel_build_matches_serial(tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for root in (serial, parallel):
        root.mkdir()
        project(root, skills=70, agents=5)
    a = build_json(serial, "--jobs", "1")
    b = build_json(parallel, "--jobs", "2")
    assert a["outputs"] == b["outputs"]
    assert a["sections"]["rendered"] + a["sections"]["cached"] == (
        b["sections"]["rendered"] + b["sections"]["cached"]
    )
    for path in a["written"]:
        assert (serial / path).read_bytes() == (parallel / path).read_bytes()
    assert build_json(parallel)["outputs"]["written"] == 0


def test_new_skillforge_version_rebuilds_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skillforge.engine.record
    import skillforge.engine.render
    import skillforge.state.plan

    project(tmp_path, skills=2, agents=0)
    cold = build_json(tmp_path)
    for module in (skillforge.state.plan, skillforge.engine.record, skillforge.engine.render):
        monkeypatch.setattr(module, "__version__", "99.0.0")
    report = build_json(tmp_path, "--explain")
    assert report["specs"]["parsed"] == 2
    assert report["sections"] == cold["sections"]  # section keys carry the version
    assert report["reasons"] == {}  # reasons are given for written outputs only
    assert report["outputs"]["written"] == 0  # same bytes: nothing to write
    assert build_json(tmp_path)["specs"]["parsed"] == 0


def test_failed_spec_is_retried_until_fixed(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0, extra={"specs/bad.yaml": "kind: skill\nname: bad\n"})
    assert build_json(tmp_path)["ok"] is False
    again = build_json(tmp_path)
    assert again["ok"] is False  # the fast path never hides a failing spec
    # unchanged, it is not parsed again: its recorded errors are (tests/test_replay.py)
    assert again["specs"] == {"total": 2, "parsed": 0, "replayed": 1}
    assert again["errors"] == build_json(tmp_path, "--force")["errors"] != []
    (tmp_path / "specs/bad.yaml").write_text("kind: skill\nname: bad\ndescription: Fixed.\n")
    fixed = build_json(tmp_path, "--explain")
    assert fixed["ok"] is True
    assert fixed["written"] == [".claude/skills/bad/SKILL.md"]


def test_spec_cache_is_not_used_when_a_trait_changed(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "templates/sections/t.md.j2": "T {{ vars.v }}\n",
            "traits/tr.yaml": "vars: {v: one}\n",
            "specs/a.yaml": (
                "kind: skill\nname: a\ndescription: A.\ntraits: [tr]\n"
                "sections:\n  - {id: s, template: sections/t.md.j2}\n"
            ),
        },
    )
    build_json(tmp_path)
    (tmp_path / "templates/sections/t.md.j2").write_text("T1 {{ vars.v }}\n")
    assert build_json(tmp_path)["specs"]["parsed"] == 1
    (tmp_path / "templates/sections/t.md.j2").write_text("T2 {{ vars.v }}\n")
    assert build_json(tmp_path)["specs"]["parsed"] == 0
    (tmp_path / "traits/tr.yaml").write_text("vars: {v: two}\n")
    (tmp_path / "templates/sections/t.md.j2").write_text("T3 {{ vars.v }}\n")
    report = build_json(tmp_path)
    assert report["specs"]["parsed"] == 1
    assert "T3 two" in (tmp_path / ".claude/skills/a/SKILL.md").read_text()


def test_one_build_path_takes_its_start_and_strategy_from_the_caller(tmp_path: Path) -> None:
    """`engine.build.run` renders through the strategy it is given and returns the manifest."""
    from collections.abc import Callable

    from skillforge.cache.local import Store
    from skillforge.engine.build import run
    from skillforge.engine.load.config import Config, load_config
    from skillforge.engine.options import BuildOptions
    from skillforge.engine.start import begin
    from skillforge.engine.workers import Batch, Received, Serial
    from skillforge.report.reporter import Reporter
    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import read_manifest

    class Counting(Serial):
        rendered: list[str]

        def render(
            self,
            config: Config,
            inventory: Inventory,
            store: Store,
            spec_ids: list[str],
            layers: dict[str, list[tuple[str, str]]],
            remember: bool,
            advance: Callable[[str], None],
            warn: Callable[[str], None],
            received: Received | None = None,
        ) -> Batch:
            self.rendered = list(spec_ids)
            return super().render(
                config, inventory, store, spec_ids, layers, remember, advance, warn, received
            )

    project(tmp_path, skills=2, agents=1)
    config = load_config(tmp_path / ".skillforge.toml")
    strategy = Counting()
    done = run(config, BuildOptions(), begin(config, False), strategy, Reporter())
    assert done.ok
    assert sorted(strategy.rendered) == sorted(begin(config, False).inventory.specs)
    on_disk = read_manifest(str(config.cache_dir))
    assert done.manifest is not None and on_disk is not None
    assert sorted(done.manifest.outputs) == sorted(on_disk.outputs)
    again = run(config, BuildOptions(), begin(config, False), strategy, Reporter())
    assert again.ok and strategy.rendered == []
    dry = BuildOptions(force=True, dry_run=True)
    done = run(config, dry, begin(config, True), strategy, Reporter())
    assert done.manifest is None and len(strategy.rendered) == 3  # a dry run writes none
