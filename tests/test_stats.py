"""`skillforge stats`: build records match the builds run; JSON, text and Prometheus output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from helpers import build_json, project, run

from skillforge.state.buildlog import KEEP, LAYERS, History, noop_record

LAYER_COUNTERS = {
    "templates": ("compiled", "cached"),
    "fragments": ("rendered", "cached"),
    "sections": ("rendered", "cached"),
    "documents": ("rendered", "cached"),
}


def stats(root: Path, *args: str) -> dict[str, Any]:
    result = run(root, "stats", "--json", *args)
    assert result.code == 0, result.err
    return result.report


def test_counters_match_the_builds_that_were_run(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=1)
    reports = [build_json(tmp_path)]
    reports.append(build_json(tmp_path))  # no-op: one documents hit per output
    spec = tmp_path / "specs/skill-1.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Edited notes"))
    reports.append(build_json(tmp_path))
    data = stats(tmp_path)
    for layer, (miss, hit) in LAYER_COUNTERS.items():
        assert data["all_time"][layer]["hits"] == sum(r[layer][hit] for r in reports), layer
        assert data["all_time"][layer]["misses"] == sum(r[layer][miss] for r in reports), layer
    assert data["all_time"]["builds"] == 2
    assert data["all_time"]["noop_builds"] == 1
    last = data["last_build"]
    assert last["sections"] == {"hits": 2, "misses": 1, "hit_ratio": round(2 / 3, 4)}
    assert last["outputs"]["written"] == 1


def test_a_noop_adds_hits_and_an_edit_adds_exactly_its_misses(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=1)
    build_json(tmp_path)
    before = stats(tmp_path)["all_time"]
    build_json(tmp_path)
    after_noop = stats(tmp_path)["all_time"]
    assert after_noop["documents"]["hits"] == before["documents"]["hits"] + 3
    assert after_noop["sections"] == before["sections"]
    assert stats(tmp_path)["last_build"]["kind"] == "noop"
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Other notes"))
    build_json(tmp_path)
    after_edit = stats(tmp_path)["all_time"]
    assert after_edit["sections"]["misses"] == after_noop["sections"]["misses"] + 1
    assert after_edit["documents"]["misses"] == after_noop["documents"]["misses"] + 1
    assert after_edit["documents"]["hits"] == after_noop["documents"]["hits"] + 2
    assert not (tmp_path / ".skillforge/stats/noops.log").exists()  # folded into the records


def test_json_has_the_documented_fields(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=1)
    build_json(tmp_path)
    data = stats(tmp_path)
    assert {"last_build", "all_time", "cache", "outputs"} <= data.keys()
    for record in (data["last_build"], data["all_time"]):
        for layer in LAYERS:
            assert record[layer].keys() == {"hits", "misses", "hit_ratio"}
            assert 0.0 <= record[layer]["hit_ratio"] <= 1.0
    assert data["cache"]["bytes"] > 0
    assert data["cache"]["entries"] > 0
    assert len(data["outputs"]) == 3
    for output in data["outputs"]:
        assert {"path", "metadata_tokens", "body_tokens", "files_tokens", "body_lines"} <= set(
            output
        )
        assert output["metadata_tokens"] > 0 and output["body_tokens"] > 0
    assert data["tokens"]["estimate"] is True
    assert data["budgets"]["listing"]["skills"] == 2
    assert data["templates"][0].keys() == {
        "name",
        "renders",
        "total_ms",
        "mean_ms",
        "max_ms",
        "cache_potential",
    }


def test_supporting_files_and_body_lines_are_counted(tmp_path: Path) -> None:
    project(
        tmp_path,
        skills=0,
        agents=0,
        extra={
            "specs/with-files.yaml": (
                "kind: skill\nname: with-files\ndescription: Has a reference file.\n"
                "files:\n  - {src: ref.md, dest: references/ref.md}\n"
                "sections:\n  - id: a\n    body: |\n      one\n      two\n      three\n"
            ),
            "specs/ref.md": "hello world\n",
        },
    )
    build_json(tmp_path)
    (output,) = stats(tmp_path)["outputs"]
    assert output["files_tokens"] == 3  # "hello", " world", "\n"
    assert output["body_lines"] == 3


def test_removed_outputs_leave_the_token_table(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=1)
    build_json(tmp_path)
    (tmp_path / "specs/skill-1.yaml").unlink()
    build_json(tmp_path)
    paths = [o["path"] for o in stats(tmp_path)["outputs"]]
    assert ".claude/skills/skill-1/SKILL.md" not in paths
    assert len(paths) == 2


def test_dry_run_records_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    builds = stats(tmp_path)["all_time"]["builds"]
    build_json(tmp_path, "--dry-run", "--force")
    assert stats(tmp_path)["all_time"]["builds"] == builds


def test_prometheus_output_parses(tmp_path: Path) -> None:
    project(tmp_path)
    cold = build_json(tmp_path)
    build_json(tmp_path)
    result = run(tmp_path, "stats", "--format", "prometheus")
    assert result.code == 0
    name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
    label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
    sample = re.compile(
        rf"^{name}(?:\{{{label}(?:,{label})*\}})? -?[0-9.e+-]+$|^{name} (?:NaN|\+Inf)$"
    )
    comment = re.compile(
        rf"^# (?:HELP {name} .+|TYPE {name} (?:counter|gauge|histogram|summary|untyped))$"
    )
    lines = result.out.splitlines()
    assert lines
    for line in lines:
        assert sample.match(line) or comment.match(line), line
    hits = cold["sections"]["cached"]
    assert f'skillforge_cache_hits_total{{layer="sections"}} {hits}' in lines
    assert 'skillforge_cache_hits_total{layer="documents"} 3' in lines


def test_text_output_labels_tokens_as_estimates_and_honours_top(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=1)
    build_json(tmp_path)
    result = run(tmp_path, "stats", "--top", "1")
    assert result.code == 0
    assert "estimate" in result.out
    assert "cache hit ratio" in result.out
    table = result.out.split("tokens per output")[1].splitlines()
    assert sum(1 for line in table if line.strip().startswith(".claude/")) == 1
    assert len(stats(tmp_path, "--top", "2")["templates"]) == 2


def test_stats_before_any_build_says_what_to_do(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "stats")
    assert result.code == 0
    assert "no builds recorded yet" in result.out
    assert stats(tmp_path)["last_build"] is None


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "stats", "--format", "xml")
    assert result.code == 2
    assert "--format must be one of" in result.err


def test_only_the_last_records_are_kept_but_totals_count_all(tmp_path: Path) -> None:
    history = History()
    for i in range(KEEP + 10):
        history.add(noop_record(float(i), 2, 1.0))
    history.save(str(tmp_path))
    again = History.load(str(tmp_path))
    assert len(again.records) == KEEP
    assert again.records[0]["time"] == 10.0
    assert again.totals["noops"] == KEEP + 10
    assert again.totals["layers"]["documents"] == [2 * (KEEP + 10), 0]


def test_cache_records_sets_how_many_builds_are_kept(tmp_path: Path) -> None:
    project(tmp_path)
    config = tmp_path / ".skillforge.toml"
    config.write_text(config.read_text() + "\n[cache]\nrecords = 2\n")
    for marker in ("one", "two", "three"):
        spec = tmp_path / "specs/skill-0.yaml"
        text = spec.read_text()
        spec.write_text(text.replace("Plain notes", f"Plain notes {marker}", 1))
        assert run(tmp_path, "build", "-q").code == 0
    history = History.load(str(tmp_path / ".skillforge"), keep=2)
    assert len(history.records) == 2
    assert history.totals["builds"] == 3
    config.write_text(config.read_text().replace("records = 2", "records = 0"))
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'cache.records' must be at least 1" in result.err


def test_a_damaged_record_file_is_an_empty_history(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    (tmp_path / ".skillforge/stats/records.bin").write_bytes(b"garbage")
    assert stats(tmp_path)["last_build"] is None
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "New notes"))
    assert build_json(tmp_path)["ok"]
    assert stats(tmp_path)["all_time"]["builds"] == 1


def test_cache_potential_counts_renders_that_repeat_an_output(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: s-{i}\ndescription: Same text.\nsections:\n"
        "  - id: a\n    template: sections/same.md.j2\n"
    )
    files = {f"specs/s-{i}.yaml": spec.format(i=i) for i in range(4)}
    # reads spec.name (so each spec has its own key) but renders the same text for all
    files["templates/sections/same.md.j2"] = "{% if spec.name %}Same text.{% endif %}\n"
    project(tmp_path, skills=0, agents=0, extra=files)
    build_json(tmp_path)
    rows = {r["name"]: r for r in stats(tmp_path)["templates"]}
    assert rows["sections/same.md.j2"]["renders"] == 4
    assert rows["sections/same.md.j2"]["cache_potential"] == 0.75  # 3 of 4 repeated an output
    assert rows["base/skill.md.j2"]["cache_potential"] == 0.0


def test_fast_stats_parser_agrees_with_typer(tmp_path: Path) -> None:
    import typer.testing

    from skillforge.cli import app as cli
    from skillforge.cli.fastparse import parse
    from skillforge.cli.flags import COMMANDS

    def parse_stats_args(args: list[str]) -> object:
        return parse(args, COMMANDS["stats"])

    project(tmp_path)
    build_json(tmp_path)
    for argv in (["--json"], ["--format=prometheus", "--top", "3"], ["--top=2", "-v"]):
        fast = run(tmp_path, "stats", *argv)
        assert parse_stats_args(argv) is not None
        from helpers import chdir

        with chdir(tmp_path):
            typer_result = typer.testing.CliRunner().invoke(cli.app, ["stats", *argv])
        assert typer_result.exit_code == fast.code == 0
        strip = re.compile(r'"(time|since)": "[^"]*"')
        assert strip.sub("", typer_result.stdout) == strip.sub("", fast.out)
    for odd in (["--help"], ["--top", "0"], ["--bogus"], ["--format"]):
        assert parse_stats_args(odd) is None
    assert run(tmp_path, "stats", "--top", "0").code == 2
