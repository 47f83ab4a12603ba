"""Budgets (`[budgets]`, DESIGN §7): what each output may cost, and the skill listing.

Per output: body lines and body tokens above their budget are warnings; a description longer
than `description_chars` is an error; `strict = true` makes every warning an error. The
listing simulator adds up what Claude Code would list for every skill against
`context_tokens * listing_fraction` and names the skills whose entries would be cut (at
1,536 characters) or whose descriptions would be dropped.

`evaluate` is the whole verdict for a set of outputs (what `skillforge check` calls);
`build` applies the per-output part before it writes anything and the listing part after.
"""

from __future__ import annotations

from skillforge.engine.costs import OutputCost
from skillforge.errors import Problem
from skillforge.report.model import plural
from skillforge.state.buildlog import read_cost_rows, write_cost_rows
from skillforge.state.patch import output_paths
from skillforge.state.plain import Plain
from skillforge.targets import listing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    from skillforge.engine.load.config import Config
    from skillforge.engine.workers import Batch
    from skillforge.state.buildlog import CostRows
    from skillforge.state.manifest import Manifest

    # the cost rows as a table, or as read from `outputs.bin` (each decoded when first read)
    Rows = TypeVar("Rows", dict[str, list[Any]], CostRows)

LISTING_ENTRY_CHARS = listing().entry_chars
# Listing overhead per skill: the "- " bullet and the line break.
ENTRY_OVERHEAD_TOKENS = 2


def output_problems(budgets: dict[str, Any], cost: OutputCost) -> list[Problem]:
    """Budget problems of one generated document (errors first)."""
    strict = bool(budgets.get("strict"))
    warning = "error" if strict else "warning"
    found: list[Problem] = []
    limit = budgets["description_chars"]
    if cost.kind == "skill" and cost.description_chars > limit:  # agents have no limit
        found.append(
            Problem(
                cost.description_file or cost.spec,
                cost.description_line,
                "description",
                f"{plural(cost.description_chars, 'character')}, over the budget of {limit:,} "
                "([budgets] description_chars); shorten it",
            )
        )
    body = (
        ("body_lines", cost.body_lines, f"has {plural(cost.body_lines, 'body line')}"),
        (
            "body_tokens",
            cost.body_tokens,
            f"body is about {plural(cost.body_tokens, 'token')} (estimate)",
        ),
    )
    for key, value, what in body:
        if value > budgets[key]:
            found.append(
                Problem(
                    cost.spec,
                    None,
                    "sections",
                    f"{cost.path} {what}, over the budget of {budgets[key]:,} ([budgets] {key}); "
                    "move detail into supporting files",
                    warning,
                )
            )
    return found


def apply_output_budgets(config: Config, batch: Batch, emit: Callable[[Problem], None]) -> None:
    """Judge each rendered spec before anything is written: errors fail the spec (it writes
    nothing and is built again next time, like any failed spec), warnings go to `emit`."""
    for spec_id in sorted(batch.results):
        cost = batch.results[spec_id].cost
        if cost is None:
            continue
        problems = output_problems(config.budgets, cost)
        errors = [p for p in problems if p.severity == "error"]
        for problem in problems:
            if problem.severity != "error":
                emit(problem)
        if errors:
            batch.failed.setdefault(spec_id, []).extend(errors)
            del batch.results[spec_id]


class Listing(Plain):
    """What Claude Code's skill listing would hold for a project's skills: `needed_tokens`
    every entry in full (each cut at 1,536 characters), `shown_tokens` what fits (every name,
    and the descriptions that fit)."""

    def __init__(
        self,
        budget_tokens: int,
        needed_tokens: int,
        shown_tokens: int,
        skills: int,
        cut: list[OutputCost] | None = None,
        dropped: list[OutputCost] | None = None,
    ) -> None:
        self.budget_tokens = budget_tokens
        self.needed_tokens = needed_tokens
        self.shown_tokens = shown_tokens
        self.skills = skills
        self.cut: list[OutputCost] = [] if cut is None else cut
        self.dropped: list[OutputCost] = [] if dropped is None else dropped

    @property
    def fits(self) -> bool:
        return not self.cut and not self.dropped

    def as_json(self) -> dict[str, Any]:
        return {
            "budget_tokens": self.budget_tokens,
            "needed_tokens": self.needed_tokens,
            "shown_tokens": self.shown_tokens,
            "skills": self.skills,
            "cut": [
                {
                    "name": c.name,
                    "path": c.path,
                    "entry_chars": c.entry_chars,
                    "cut_at": LISTING_ENTRY_CHARS,
                    "lost_from": c.cut_text,
                }
                for c in self.cut
            ],
            "dropped": [c.name for c in self.dropped],
        }


def simulate_listing(budgets: dict[str, Any], costs: Iterable[OutputCost]) -> Listing:
    """Fill the listing budget as Claude Code would.

    Every skill keeps its name; descriptions are kept in listing order while they fit.
    Claude Code drops the descriptions of the least-used skills first; skillforge does not
    know usage, so it drops from the end of the alphabetical order: how many are dropped is
    the reliable figure, which ones is an example.
    """
    skills = sorted((c for c in costs if c.kind == "skill"), key=lambda c: c.name)
    budget = int(budgets["context_tokens"] * budgets["listing_fraction"])
    names = sum(c.name_tokens + ENTRY_OVERHEAD_TOKENS for c in skills)
    needed = sum(c.listing_tokens + ENTRY_OVERHEAD_TOKENS for c in skills)
    listing = Listing(budget, needed, names, len(skills))
    listing.cut = [c for c in skills if c.entry_chars > LISTING_ENTRY_CHARS]
    room = budget - names
    for cost in skills:
        extra = max(cost.listing_tokens - cost.name_tokens, 0)
        if extra <= room:
            room -= extra
            listing.shown_tokens += extra
        else:
            room = -1  # in listing order: once one is dropped, the rest are too
            listing.dropped.append(cost)
    return listing


def listing_verdict(budgets: dict[str, Any], listing: Listing, where: str) -> list[Problem]:
    """The listing's problems: one per cut entry, one for the dropped descriptions."""
    severity = "error" if budgets.get("strict") else "warning"
    found = [
        Problem(
            cost.description_file or cost.spec,
            cost.description_line,
            "description",
            f"skill listing entry of '{cost.name}' is {plural(cost.entry_chars, 'character')}; "
            f"Claude Code cuts it at {LISTING_ENTRY_CHARS:,}, losing from '{cost.cut_text}...'",
            severity,
        )
        for cost in listing.cut
    ]
    if listing.dropped:
        names = ", ".join(c.name for c in listing.dropped[:5])
        more = f" and {len(listing.dropped) - 5:,} more" if len(listing.dropped) > 5 else ""
        found.append(
            Problem(
                where,
                None,
                "budgets.listing_fraction",
                f"the skill listing needs about {plural(listing.needed_tokens, 'token')} "
                f"(estimate) of {listing.budget_tokens:,} ({budgets['listing_fraction']:g} of "
                f"{budgets['context_tokens']:,}): Claude Code would drop the "
                f"{'description' if len(listing.dropped) == 1 else 'descriptions'} of "
                f"{len(listing.dropped):,} of {plural(listing.skills, 'skill')} (least used first; "
                f"for example {names}{more}); shorten descriptions or merge skills",
                severity,
            )
        )
    return found


def listing_problems(
    config: Config,
    before: dict[str, OutputCost],
    after: dict[str, OutputCost],
    rejudge: bool = False,
) -> list[Problem]:
    """Listing problems after a build, reported when the listing changed (or is new), when
    the budgets changed (`rejudge`), and always under `strict`: an error must fail every build
    until it is fixed."""
    same = before and _entries(before) == _entries(after)
    if same and not rejudge and not config.budgets.get("strict"):
        return []
    listing = simulate_listing(config.budgets, after.values())
    return listing_verdict(config.budgets, listing, _config_name(config))


def listing_problems_rows(
    config: Config,
    before: dict[str, list[Any]] | CostRows,
    after: dict[str, list[Any]] | CostRows,
    touched: Iterable[str],
    rejudge: bool = False,
) -> list[Problem]:
    """`listing_problems` on cost rows as `outputs.bin` keeps them (see `next_cost_rows`).

    `touched` names every path whose row may differ between the two tables: when none of
    their listing entries changed, the listing is the same without a look at the other rows
    (a one-spec edit of 10,000 specs compares one entry, not two sets of 10,000); otherwise
    the tables are judged as `listing_problems` judges them.
    """
    if (
        before
        and not rejudge
        and not config.budgets.get("strict")
        and all(_row_entry(before.get(p)) == _row_entry(after.get(p)) for p in touched)
    ):
        return []
    return listing_problems(config, _costs_of(before), _costs_of(after), rejudge)


def next_cost_rows(
    old: Rows, rendered: list[OutputCost], state: Manifest | None
) -> tuple[Rows, list[str]]:
    """`next_costs` on rows: the table after a build, and the paths whose rows it touched
    (rendered, or gone from the manifest); every other row is the old one, unchanged."""
    table = old.copy()
    touched = []
    for cost in rendered:
        table[cost.path] = cost.to_raw()
        touched.append(cost.path)
    if state is not None:
        gone = sorted(table.keys() - output_paths(state).keys())
        for path in gone:
            del table[path]
        touched.extend(gone)
    return table, touched


def _row_entry(row: list[Any] | None) -> tuple[str, int, int] | None:
    """A row's entry in the skill listing as `_entries` counts it (None: not a skill). The
    fields past the eighth have defaults (OutputCost), so an old row may lack them."""
    if row is None or row[1] != "skill":
        return None
    return (row[2], row[12] if len(row) > 12 else 0, row[11] if len(row) > 11 else 0)


def _costs_of(rows: dict[str, list[Any]] | CostRows) -> dict[str, OutputCost]:
    return {path: OutputCost.from_raw(path, values) for path, values in rows.items()}


def evaluate(config: Config, costs: Iterable[OutputCost]) -> list[Problem]:
    """Every budget problem of these outputs and of their skill listing (for `check`)."""
    costs = list(costs)
    found: list[Problem] = []
    for cost in sorted(costs, key=lambda c: c.path):
        found.extend(output_problems(config.budgets, cost))
    listing = simulate_listing(config.budgets, costs)
    found.extend(listing_verdict(config.budgets, listing, _config_name(config)))
    return found


def _entries(table: dict[str, OutputCost]) -> set[tuple[str, int, int]]:
    return {(c.name, c.listing_tokens, c.entry_chars) for c in table.values() if c.kind == "skill"}


def _config_name(config: Config) -> str:
    return config.rel(config.path) if config.path else ".skillforge.toml"


# -- the cost table kept between builds (`outputs.bin`) -------------------------------------


def read_costs(cache_dir: str, damaged: list[str] | None = None) -> dict[str, OutputCost]:
    """The cost of each generated document at its last build, by output path.

    The rows are checked field by field as they are read (a damaged file is an empty
    table, its path added to `damaged`).
    """
    return _costs_of(read_cost_rows(cache_dir, damaged))


def write_costs(cache_dir: str, table: dict[str, OutputCost]) -> None:
    """Keep the cost table for the next build (and for `stats`)."""
    write_cost_rows(cache_dir, {path: cost.to_raw() for path, cost in table.items()})


def simulate_listings(config: Config, costs: Iterable[OutputCost]) -> dict[str, dict[str, Any]]:
    """The skill listing of each target of the build that has one, in characters (DESIGN §7).

    Each entry is a skill's name, description and `when_to_use` (the tools show both), cut at
    the tool's entry limit; entries are kept in alphabetical order while they fit, and the
    skills past the budget are named (their descriptions would be cut or left out).
    """
    from skillforge.targets import get_target

    skills = sorted((c for c in costs if c.kind == "skill"), key=lambda c: c.name)
    found: dict[str, dict[str, Any]] = {}
    for name in config.targets:
        profile = get_target(name).listing
        if profile is None:
            continue
        budget = profile.budget_chars(config.budgets)
        cap = profile.entry_chars or None
        needed = 0
        over: list[str] = []
        for cost in skills:
            size = min(cost.entry_chars, cap) if cap else cost.entry_chars
            needed += size + 1  # one line each
            if needed > budget:
                over.append(cost.name)
        found[name] = {
            "tool": profile.tool,
            "budget_chars": budget,
            "needed_chars": needed,
            "entry_limit": cap,
            "skills": len(skills),
            "cut": [c.name for c in skills if cap and c.entry_chars > cap],
            "over_budget": over,
        }
    return found
