"""The remote cache (DESIGN §5.1) against a real nginx with WebDAV PUT: two clones share.

Clone A builds with `--remote-write`; clone B, a fresh copy of A's files without the cache
folder (what CI checks out), checks and builds with what A shared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import build_json, project, run
from remote_nginx import Nginx, _clean_remote_env, clone, configure, nginx, outputs, two_clones

__all__ = ["_clean_remote_env", "nginx"]  # fixtures


def test_fresh_clone_check_renders_nothing_and_passes(tmp_path: Path, nginx: Nginx) -> None:
    _a, b = two_clones(tmp_path, nginx.url)
    assert len(nginx.stored("ac")) == 1  # the entry naming the records of every spec
    assert nginx.stored("cas")
    nginx.clear_log()
    result = run(b, "check", "--format", "json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["specs"]["rendered"] == 0, report
    assert report["outputs"]["checked"] == 6
    assert [(m, p.split("/")[1]) for m, p, _ in nginx.requests()] == [("GET", "ac"), ("GET", "cas")]
    assert not (b / ".skillforge").exists()  # check writes nothing


def test_fresh_clone_build_renders_no_section(tmp_path: Path, nginx: Nginx) -> None:
    a, b = two_clones(tmp_path, nginx.url)
    before = outputs(b)
    report = build_json(b)
    assert report["ok"], report
    assert report["sections"]["rendered"] == 0, report
    assert report["written"] == []
    assert outputs(b) == before == outputs(a)
    assert report["remote"]["hits"] == 2  # the records entry and the bundle it names
    # the manifest it wrote is a real one: the next build is a no-op, and check passes
    again = build_json(b)
    assert again["specs"]["parsed"] == 0 and again["written"] == []
    assert run(b, "check").code == 0


def test_an_edited_spec_renders_with_the_remote_sections(tmp_path: Path, nginx: Nginx) -> None:
    _a, b = two_clones(tmp_path, nginx.url)
    spec = b / "specs" / "skill-1.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("Does skill-1 things", "Does new things"),
        encoding="utf-8",
    )
    result = run(b, "build", "--json", "--explain")
    report = result.report
    assert report["ok"], report
    assert report["sections"]["rendered"] == 0, report
    assert report["written"] == [".claude/skills/skill-1/SKILL.md"]
    reasons = report["reasons"][".claude/skills/skill-1/SKILL.md"]
    assert "sections from the remote cache" in reasons
    # exactly what a local build renders
    shutil.rmtree(b / ".skillforge")
    local = tmp_path / "local"
    shutil.copytree(b, local)
    (local / ".skillforge.toml").write_text('[vars]\norg = "Acme"\n', encoding="utf-8")
    assert build_json(local, "--force")["ok"]
    assert outputs(local) == outputs(b)


def test_no_put_without_the_write_flag(tmp_path: Path, nginx: Nginx) -> None:
    a = project(tmp_path / "a", skills=3)
    configure(a, nginx.url)
    report = build_json(a)
    assert report["ok"]
    assert report["remote"]["writes"] == 0
    assert nginx.requests()  # it read
    assert all(method == "GET" for method, _, _ in nginx.requests())
    assert not nginx.stored("ac") and not nginx.stored("cas")


def test_write_through_the_environment(
    tmp_path: Path, nginx: Nginx, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = project(tmp_path / "a", skills=2, agents=0)
    monkeypatch.setenv("SKILLFORGE_REMOTE_CACHE", nginx.url)
    monkeypatch.setenv("SKILLFORGE_REMOTE_WRITE", "1")
    assert build_json(a)["ok"]
    assert len(nginx.stored("ac")) == 1
    assert any(method == "PUT" for method, _, _ in nginx.requests())


def test_stats_after_the_fresh_clone_build(tmp_path: Path, nginx: Nginx) -> None:
    _a, b = two_clones(tmp_path, nginx.url)
    assert build_json(b)["ok"]
    result = run(b, "stats", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    remote = data["last_build"]["remote"]
    assert remote["hits"] == 2 and remote["errors"] == 0 and remote["writes"] == 0
    assert remote["bytes_read"] > 0
    text = run(b, "stats").out
    assert "remote cache (last build):" in text
    assert "0 errors" in text


def test_budgets_are_judged_on_a_fresh_clone_as_without_a_remote(
    tmp_path: Path, nginx: Nginx
) -> None:
    """The records carry each document's costs: check and build judge the budgets alike."""
    a = project(tmp_path / "a", skills=3, agents=1)
    config = a / ".skillforge.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[budgets]\nbody_lines = 2\n")
    configure(a, nginx.url)
    assert build_json(a, "--remote-write")["ok"]
    b = clone(a, tmp_path / "b")
    plain = clone(a, tmp_path / "plain")
    text = (plain / ".skillforge.toml").read_text(encoding="utf-8")
    (plain / ".skillforge.toml").write_text(text[: text.index("\n[cache]")], encoding="utf-8")

    def budget_messages(root: Path) -> list[str]:
        result = run(root, "check", "--format", "json")
        report = json.loads(result.out)
        return sorted(w["message"] for w in report["warnings"] if "remote" not in w["message"])

    expected = budget_messages(plain)
    assert expected  # the bodies are over 2 lines
    assert budget_messages(b) == expected
    assert json.loads(run(b, "check", "--format", "json").out)["specs"]["rendered"] == 0
    # a build adopts the costs too (it judges only what it renders, as any incremental build
    # does, but the skill listing and `stats` see every document)
    assert build_json(b)["ok"] and build_json(plain)["ok"]
    costs = [json.loads(run(root, "stats", "--json").out)["outputs"] for root in (b, plain)]
    assert costs[0] == costs[1] and len(costs[0]) == 4


def test_a_trusted_fresh_clone_build_shares_what_it_adopted(tmp_path: Path, nginx: Nginx) -> None:
    """Main's next CI build starts fresh too: its bundle still names every spec's sections."""
    _, b = two_clones(tmp_path, nginx.url)
    assert build_json(b, "--remote-write")["ok"]  # renders nothing, shares a new bundle
    c = clone(b, tmp_path / "c")
    spec = c / "specs" / "skill-2.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Does skill-2", "Does it"), "utf-8")
    report = build_json(c)
    assert report["ok"]
    assert report["written"] == [".claude/skills/skill-2/SKILL.md"]
    assert report["sections"]["rendered"] == 0, report


def test_outputs_not_committed_are_rendered_from_the_remote_sections(
    tmp_path: Path, nginx: Nginx
) -> None:
    a, b = two_clones(tmp_path, nginx.url)
    shutil.rmtree(b / ".claude")  # a project that does not commit its outputs
    nginx.clear_log()
    result = run(b, "build", "--json", "--explain")
    report = result.report
    assert report["ok"], report
    assert report["sections"]["rendered"] == 0, report
    assert len(report["written"]) == 6
    assert all("sections from the remote cache" in r for r in report["reasons"].values())
    assert outputs(b) == outputs(a)
    gets = [path for method, path, _ in nginx.requests() if method == "GET"]
    assert len(gets) == 2 + len({p for p in gets[2:]})  # each section asked for once
