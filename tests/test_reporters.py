"""Reporters: Rich on a terminal, plain lines otherwise, JSON on request."""

from __future__ import annotations

import io
from pathlib import Path

from helpers import build_file_tree, chdir, project, run
from rich.console import Console

from skillforge.engine.build import run as run_engine
from skillforge.engine.load.config import load_config
from skillforge.engine.options import BuildOptions
from skillforge.engine.start import begin
from skillforge.engine.workers import Pool
from skillforge.report.terminal import RichReporter


def rich_build(root: Path, **options: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    reporter = RichReporter(
        explain=options.get("explain", False),
        out=Console(file=out, force_terminal=True, width=200, color_system=None),
        err=Console(file=err, force_terminal=True, width=200, color_system=None),
    )
    with chdir(root):
        config = load_config()
        run_engine(config, BuildOptions(**options), begin(config, False), Pool(), reporter)
    return out.getvalue(), err.getvalue()


def test_rich_reporter_prints_written_files_and_a_summary(tmp_path: Path) -> None:
    project(tmp_path, skills=60, agents=0)  # enough dirty specs for a progress bar
    out, err = rich_build(tmp_path, explain=True)
    assert "wrote .claude/skills/skill-0/SKILL.md: new spec" in out
    assert "built: 60 specs, 60 written" in out
    assert "Traceback" not in err


def test_rich_reporter_shows_problems_with_brackets_intact(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_file_tree(
        tmp_path, {"specs/bad.yaml": "kind: skill\nname: bad\ndescription: d\nmodel: '[x] <y>'\n"}
    )
    out, err = rich_build(tmp_path)
    assert "specs/bad.yaml:4: model: model '[x] <y>' is not a Claude model" in err
    assert "failed:" in out


def test_a_reporter_subclass_hears_only_the_events_it_overrides(tmp_path: Path) -> None:
    from skillforge.report.model import BuildReport
    from skillforge.report.reporter import Reporter

    class Written(Reporter):
        def __init__(self) -> None:
            self.paths: list[str] = []
            self.reports: list[BuildReport] = []

        def written(self, path: str, reasons: list[str]) -> None:
            self.paths.append(path)

        def finish(self, report: BuildReport) -> None:
            self.reports.append(report)

    project(tmp_path, skills=2, agents=1)
    reporter = Written()
    with chdir(tmp_path):
        config = load_config()
        run_engine(config, BuildOptions(), begin(config, False), Pool(), reporter)
    assert sorted(reporter.paths) == [
        ".claude/agents/agent-0.md",
        ".claude/skills/skill-0/SKILL.md",
        ".claude/skills/skill-1/SKILL.md",
    ]
    [report] = reporter.reports
    assert report.ok and sorted(report.written) == sorted(reporter.paths)


def test_every_reporter_is_a_reporter() -> None:
    from skillforge.report.check import CheckReporter, GithubCheckReporter, JsonCheckReporter
    from skillforge.report.plain import JsonReporter, PlainReporter
    from skillforge.report.reporter import Reporter
    from skillforge.report.watch import JsonWatchReporter, RichWatchReporter, WatchReporter

    kinds = [
        PlainReporter,
        JsonReporter,
        RichReporter,
        WatchReporter,
        JsonWatchReporter,
        RichWatchReporter,
        CheckReporter,
        JsonCheckReporter,
        GithubCheckReporter,
    ]
    assert all(issubclass(kind, Reporter) for kind in kinds)
    silent = Reporter()  # every event of the base is a no-op
    silent.start(3)
    silent.publishing()
    silent.say("nothing")


def test_check_reporters_print_a_report_in_each_format() -> None:
    import json

    from skillforge.report.check import REPORTERS
    from skillforge.report.model import CheckReport, Finding

    report = CheckReport(specs_total=1, outputs_checked=1)
    report.findings.append(
        Finding("stale", "out/a.md", "specs/a.yaml", "run build", diff="-a\n+b\n")
    )
    printed = {}
    for name, kind in REPORTERS.items():
        out = io.StringIO()
        kind(out, root=".").checked(report)
        printed[name] = out.getvalue()
    assert printed["text"].startswith("stale: out/a.md: run build\n-a\n+b\n")
    assert json.loads(printed["json"])["stale"] == [
        {"path": "out/a.md", "spec": "specs/a.yaml", "message": "run build", "diff": "-a\n+b\n"}
    ]
    assert "::error file=" in printed["github"] and "::group::diff of out/a.md" in printed["github"]


def test_init_and_clean_print_through_the_plain_reporter(tmp_path: Path) -> None:
    result = run(tmp_path, "init")
    assert result.code == 0 and "created" in result.out
    assert run(tmp_path, "build").code == 0
    result = run(tmp_path, "clean")
    assert result.code == 0 and "removed" in result.out


def test_counters_add_take_and_compare() -> None:
    from skillforge.report.model import Counters

    a, b = Counters(), Counters()
    a.sections_rendered, b.sections_rendered = 2, 3
    b.timed("t.md.j2", 0.5, "out")
    a.add(b)
    assert a.as_dict()["sections_rendered"] == 5 and a.template_times == {"t.md.j2": [0.5]}
    taken = a.take()
    assert a == Counters() and taken != Counters()
    assert taken.sections_rendered == 5 and len(taken.template_outputs["t.md.j2"]) == 1


def test_a_dropped_files_entry_is_removed_as_no_longer_in_its_files(tmp_path: Path) -> None:
    entry = "  - {{src: files/{0}.md, dest: {0}.md}}\n"
    spec = "kind: skill\nname: s\ndescription: S. Use when testing.\nfiles:\n"
    build_file_tree(
        tmp_path,
        {
            "specs/s.yaml": spec + entry.format("a") + entry.format("b"),
            "specs/files/a.md": "A\n",
            "specs/files/b.md": "B\n",
        },
    )
    assert run(tmp_path, "build").code == 0
    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("a"))
    plain = run(tmp_path, "build")
    assert plain.code == 0, plain
    assert "removed .claude/skills/s/b.md (no longer in its spec's files)" in plain.out
    assert "spec is gone" not in plain.out
    assert not (tmp_path / ".claude/skills/s/b.md").exists()

    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("b"))
    assert run(tmp_path, "build").code == 0
    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("a"))
    out, _ = rich_build(tmp_path)
    assert "removed .claude/skills/s/b.md (no longer in its spec's files)" in out
