"""`benchmarks/agent.py` (issue 17's single large agent, cold) runs and reports both scenarios
from real builds of the one agent and real runs of the plain script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent.parent / "benchmarks" / "agent.py"


def test_agent_bench_measures_one_agent_against_the_plain_script(tmp_path: Path) -> None:
    out = tmp_path / "agent.json"
    project = tmp_path / "project"
    args = ["--repeat", "1", "--warmup", "0", "--keep", str(project), "--json-out", str(out)]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["lines"] > 6000
    assert set(report["results"]) == {"cold", "first_run"}
    for result in report["results"].values():
        for side in ("skillforge", "plain_script"):
            assert result[side]["wall_ms"] > 0
    # the project holds the one agent: its output, the plain script's, and no other spec
    assert (project / ".claude/agents/large-agent-1.md").is_file()
    assert (project / ".baseline/agents/large-agent-1.md").is_file()
    specs = sorted(p.name for p in (project / "specs").rglob("*.yaml") if "_bases" not in p.parts)
    assert specs == ["large-agent-1.yaml"]
    # the user cache of the builds is the project's own, made again by the first run
    assert (project / ".user-cache" / "skillforge").is_dir()
    assert "goal <= 1.0x" in done.stdout
