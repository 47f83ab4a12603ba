"""The cost table as rows (issue 17): a build touches the rows it rendered or removed, and the
listing verdict on rows is the verdict on the whole tables of `OutputCost`s, every time."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from skillforge.engine.budgets import (
    listing_problems,
    listing_problems_rows,
    next_cost_rows,
)
from skillforge.engine.costs import OutputCost
from skillforge.engine.load.config import Config, load_config
from skillforge.state import layout
from skillforge.state.manifest import Manifest, OutputRecord


def _config(tmp_path: Path, strict: bool = False) -> Config:
    budgets = "[budgets]\ncontext_tokens = 3000\nlisting_fraction = 0.05\n"
    if strict:
        budgets += "strict = true\n"
    (tmp_path / ".skillforge.toml").write_text(budgets, encoding="utf-8")
    return load_config(cwd=tmp_path)


def _cost(rng: random.Random, i: int) -> OutputCost:
    kind = rng.choice(["skill", "skill", "agent"])
    tokens = rng.randint(1, 40)
    return OutputCost(
        path=f".claude/skills/s{i}/SKILL.md",
        spec=f"specs/s{i}.yaml",
        kind=kind,
        name=f"s{rng.randint(0, 12)}",  # names repeat: the listing's entries are a set
        metadata_tokens=tokens,
        body_tokens=rng.randint(0, 500),
        files_tokens=0,
        body_lines=rng.randint(1, 60),
        description_chars=rng.randint(10, 300),
        name_tokens=rng.randint(1, 3),
        entry_chars=rng.randint(10, 1700),
        listing_tokens=tokens,
    )


def _manifest(paths: list[str]) -> Manifest:
    manifest = Manifest()
    manifest.outputs = {p: OutputRecord(1, 1, "d", True, "k") for p in paths}
    return manifest


def _old_next_costs(
    old: dict[str, OutputCost], rendered: list[OutputCost], state: Manifest
) -> dict[str, OutputCost]:
    """The table as the build made it before rows (0.3.x): objects in, gone outputs out."""
    table = dict(old)
    for cost in rendered:
        table[cost.path] = cost
    return {p: c for p, c in table.items() if p in state.outputs}


def _objects(rows: dict[str, list[Any]]) -> dict[str, OutputCost]:
    return {p: OutputCost.from_raw(p, r) for p, r in rows.items()}


@pytest.mark.parametrize("strict", [False, True])
def test_rows_verdict_is_the_tables_verdict(tmp_path: Path, strict: bool) -> None:
    config = _config(tmp_path, strict)
    rng = random.Random(17)
    judged = 0
    for _ in range(150):
        n = rng.randint(0, 25)
        old_costs = {c.path: c for c in (_cost(rng, i) for i in range(n))}
        old_rows = {p: c.to_raw() for p, c in old_costs.items()}
        rendered = []
        for _ in range(rng.randint(0, 4)):
            i = rng.randint(0, n + 2)
            fresh = _cost(rng, i)
            previous = old_costs.get(fresh.path)
            if previous is not None and rng.random() < 0.5:  # same entry, other body
                fresh.kind, fresh.name = previous.kind, previous.name
                fresh.listing_tokens, fresh.entry_chars = (
                    previous.listing_tokens,
                    previous.entry_chars,
                )
            rendered.append(fresh)
        kept = [p for p in {*old_costs, *(c.path for c in rendered)} if rng.random() < 0.9]
        state = _manifest(kept)
        rejudge = rng.random() < 0.2

        table, touched = next_cost_rows(old_rows, rendered, state)
        expected_table = _old_next_costs(old_costs, rendered, state)
        assert _objects(table) == expected_table
        # every row the build did not touch is the old row
        assert {p: r for p, r in table.items() if p not in touched} == {
            p: r for p, r in old_rows.items() if p not in touched and p in table
        }
        got = listing_problems_rows(config, old_rows, table, touched, rejudge)
        want = listing_problems(config, old_costs, expected_table, rejudge)
        assert [str(p) for p in got] == [str(p) for p in want]
        assert (table != old_rows) == (expected_table != old_costs)
        judged += bool(want)
    assert judged > 10  # the budgets are small enough that listings do fail


def test_short_rows_count_with_their_defaults(tmp_path: Path) -> None:
    """A row of an older table without the optional fields has the defaults' entry."""
    config = _config(tmp_path)
    full = OutputCost(".claude/skills/a/SKILL.md", "specs/a.yaml", "skill", "a", 5, 5, 0, 3, 20)
    short = full.to_raw()[:8]
    old = {full.path: short}
    table, touched = next_cost_rows(old, [full], _manifest([full.path]))
    assert touched == [full.path]
    assert listing_problems_rows(config, old, table, touched) == []


def _old_valid_costs(raw: object) -> bool:
    return (
        isinstance(raw, dict)
        and raw.get("format") == layout.FORMAT
        and layout._is_map(raw.get("outputs"), layout.valid_cost)
    )


def test_row_check_in_c_is_the_field_by_field_check() -> None:
    rng = random.Random(4)
    good = _cost(rng, 1).to_raw()
    variants: list[object] = [
        good,
        good[:8],
        good[:7],
        [*good, "extra"],
        [*good[:3], True, *good[4:]],  # a bool is no int here
        [*good[:9], None, *good[10:]],
        [*good[:9], "x", *good[10:]],
        tuple(good),
        "row",
        None,
    ]
    for _ in range(300):
        rows: dict[object, object] = {}
        for _ in range(rng.randint(0, 4)):
            key: object = rng.choice(["a", "b", "c", 3, b"d"])
            rows[key] = rng.choice(variants)
        raw: object = {"format": layout.FORMAT, "outputs": rows}
        if rng.random() < 0.1:
            raw = {"format": layout.FORMAT + 1, "outputs": rows}
        if rng.random() < 0.05:
            raw = {"format": layout.FORMAT, "outputs": list(rows.values())}
        assert layout.valid_costs(raw) == _old_valid_costs(raw), raw


def test_cost_rows_written_with_their_checksum_read_back_and_damage_is_seen(
    tmp_path: Path,
) -> None:
    """`outputs.bin` keeps its rows' bytes and their CRC-32 (format 2): read back they are the
    rows written; a byte changed in them, a checksum that does not match or a layout of its
    own is a damaged file (an empty table, its path in `damaged`), as a bad row of format 1."""
    import marshal
    import zlib

    from skillforge.state import buildlog

    rng = random.Random(7)
    rows = {f"out/{i}.md": _cost(rng, i).to_raw() for i in range(50)}
    buildlog.write_cost_rows(str(tmp_path), rows)
    assert buildlog.read_cost_rows(str(tmp_path)) == rows
    path = tmp_path / buildlog.STATS_FOLDER / buildlog.OUTPUTS_NAME
    sealed = marshal.loads(path.read_bytes())
    assert sealed["format"] == buildlog.COSTS_FORMAT and set(sealed) == {"format", "rows", "crc"}
    flipped = bytearray(sealed["rows"])
    flipped[len(flipped) // 2] ^= 0x20
    for damaged_value in (
        {**sealed, "rows": bytes(flipped)},
        {**sealed, "crc": sealed["crc"] ^ 1},
        {**sealed, "rows": "not bytes"},
        {**sealed, "extra": 1},
        {**sealed, "rows": marshal.dumps([1, 2]), "crc": zlib.crc32(marshal.dumps([1, 2]))},
    ):
        path.write_bytes(marshal.dumps(damaged_value))
        damaged: list[str] = []
        assert buildlog.read_cost_rows(str(tmp_path), damaged) == {}
        assert damaged == [str(path)]


def test_a_build_writes_cost_rows_of_format_1_again_with_their_checksum(tmp_path: Path) -> None:
    import marshal

    from helpers import run

    from skillforge.state import buildlog

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/a.yaml").write_text(
        "kind: skill\nname: a-skill\ndescription: Does a things. Use when asked for a.\n"
        "sections:\n  - id: notes\n    title: Notes\n    body: Plain notes.\n",
        encoding="utf-8",
    )
    assert run(tmp_path, "build", "-q").code == 0
    cache = str(tmp_path / ".skillforge")
    rows = buildlog.read_cost_rows(cache)
    assert rows
    path = Path(cache) / buildlog.STATS_FOLDER / buildlog.OUTPUTS_NAME
    path.write_bytes(marshal.dumps({"format": 1, "outputs": rows}))  # an earlier version's
    earlier: list[str] = []
    assert buildlog.read_cost_rows(cache, None, earlier) == rows and earlier == [str(path)]
    spec = tmp_path / "specs/a.yaml"
    spec.write_text(spec.read_text().replace("Plain notes.", "Other notes."), encoding="utf-8")
    assert run(tmp_path, "build", "-q").code == 0
    assert marshal.loads(path.read_bytes())["format"] == buildlog.COSTS_FORMAT
    assert buildlog.read_cost_rows(cache).keys() == rows.keys()


def test_cost_rows_are_decoded_when_read_and_written_back_as_they_were(tmp_path: Path) -> None:
    """`outputs.bin` keeps each row's bytes on their own (format 3): a build decodes the
    rows it reads (`CostRows.get`), and the table it writes back keeps the others' bytes as
    read; the rows are those of the whole read, and a table of format 2 reads as ever (then
    written again in format 3)."""
    import marshal
    import zlib

    from skillforge.state import buildlog

    rng = random.Random(11)
    rows = {f"out/{i}.md": _cost(rng, i).to_raw() for i in range(40)}
    buildlog.write_cost_rows(str(tmp_path), rows)
    path = tmp_path / buildlog.STATS_FOLDER / buildlog.OUTPUTS_NAME
    before = marshal.loads(marshal.loads(path.read_bytes())["rows"])
    table = buildlog.read_cost_table(str(tmp_path))
    assert table.get("out/3.md") == rows["out/3.md"] and table.get("none.md", 7) == 7
    assert len(table._rows) == 1  # one row decoded
    assert dict(table.items()) == rows == buildlog.read_cost_rows(str(tmp_path))
    changed = table.copy()
    changed["out/5.md"] = _cost(rng, 99).to_raw()
    del changed["out/6.md"]
    assert table.get("out/5.md") == rows["out/5.md"] and len(table) == 40  # not the copy's
    buildlog.write_cost_rows(str(tmp_path), changed)
    after = marshal.loads(marshal.loads(path.read_bytes())["rows"])
    assert after.keys() == before.keys() - {"out/6.md"}
    assert {p: b for p, b in after.items() if p != "out/5.md"} == {
        p: b for p, b in before.items() if p not in ("out/5.md", "out/6.md")
    }
    expected = {**rows, "out/5.md": changed.get("out/5.md")}
    del expected["out/6.md"]
    assert buildlog.read_cost_rows(str(tmp_path)) == expected
    # format 2: the rows themselves under one checksum
    data = marshal.dumps(rows)
    path.write_bytes(marshal.dumps({"format": 2, "rows": data, "crc": zlib.crc32(data)}))
    earlier: list[str] = []
    assert buildlog.read_cost_rows(str(tmp_path), None, earlier) == rows
    assert earlier == [str(path)]
