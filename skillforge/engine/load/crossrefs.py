"""Rules between the specs of a build: shared outputs, names a target keeps one of, references.

They run once a batch is rendered, over the new outputs and those the manifest records for
the specs the plan left alone. A process that builds again and again (`skillforge watch`)
keeps an `Owners` index of the recorded outputs: a rebuild then tells that no output or name
has two users from the few it rendered, and walks every record only when one may have (the
walk then decides, as in a build without the index). A build after an edit of a few specs
(issue 17: one among 10,000) tells it from the rendered specs' own records.
"""

from __future__ import annotations

from skillforge.errors import Problem
from skillforge.state.owners import Owners
from skillforge.targets import DEFAULT, get_target
from skillforge.targets.base import Ref, Target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from skillforge.engine.workers import Batch
    from skillforge.state.manifest import Manifest
    from skillforge.state.plan import Plan


def check_across_specs(
    previous: Manifest | None,
    plan: Plan,
    batch: Batch,
    targets: tuple[str, ...] = DEFAULT,
    owners: Owners | None = None,
) -> list[Problem]:
    """Rules between specs, once a batch is rendered; return the warnings.

    Two specs that produce the same output, or two specs of a kind whose names a target
    keeps one of (Claude Code's agents), both fail, each naming the other (DESIGN §3):
    neither is written. A spec the plan took as unchanged is judged by the outputs the
    manifest records for it, and fails with the new one. References to names no spec builds
    are warnings. With `owners`, the same answer without a walk of every record when no
    output or name can have two users.
    """
    formats = [get_target(t) for t in targets]
    if owners is not None and previous is not None:
        orphans = set(plan.orphan_specs)
        if _unshared(previous, plan, batch, owners, orphans, formats):
            return _references_alone(previous, batch, orphans, formats)
    elif previous is not None and plan.edited and _kept_to_own(previous, batch, formats):
        return _references_alone(previous, batch, set(plan.orphan_specs), formats)
    users: dict[str, list[str]] = {}  # an output path, or "agent name 'x'" -> its specs
    why_one: dict[str, str] = {}  # "agent name 'x'" -> why a target keeps only one
    skills: set[str] = set()
    agents: set[str] = set()
    recorded: list[list[str]] = []  # the outputs of every recorded spec, for the names
    for spec_id, record in previous.specs.items() if previous else ():
        if spec_id in plan.orphan_specs:
            continue
        recorded.append(record.outputs)
        # (a failed spec whose errors are replayed produces nothing, as when parsed)
        left = spec_id not in plan.dirty and spec_id not in plan.replay
        if left and spec_id not in batch.results:
            for path in record.outputs:
                users.setdefault(path, []).append(spec_id)
    refs: list[Ref] = []
    for spec_id in sorted(batch.results):
        rendered = batch.results[spec_id]
        refs.extend(rendered.refs)
        for out in rendered.outputs:
            users.setdefault(out.path, []).append(spec_id)
            _known_from_path(formats, out.path, skills, agents)
        if rendered.cost is not None:
            (skills if rendered.cost.kind == "skill" else agents).add(rendered.cost.name)
            why = next((w for t in formats if (w := t.same_name(rendered.cost.kind))), None)
            if why is not None:
                what = f"{rendered.cost.kind} name '{rendered.cost.name}'"
                users.setdefault(what, []).append(spec_id)
                why_one[what] = why
    for what, specs in users.items():
        if len(specs) < 2:
            continue
        for spec_id in specs:
            others = ", ".join(s for s in specs if s != spec_id)
            found = batch.results.get(spec_id)
            file, line = found.name_origin if found else (spec_id, None)
            if what in why_one:
                message = f"{what} is also used by {others}; {why_one[what]}: rename one"
            else:
                message = f"{what} is also produced by {others}; give one of them another name"
            batch.failed.setdefault(spec_id, []).append(
                Problem(file or spec_id, line, "name", message)
            )
    return _judged(batch, refs, skills, agents, formats, recorded)


def _references_alone(
    previous: Manifest, batch: Batch, orphans: set[str], formats: list[Target]
) -> list[Problem]:
    """The rest of `check_across_specs` when no output or name has two users: the failed
    specs leave the batch, and the references are judged (the same steps, in its order)."""
    refs: list[Ref] = []
    skills: set[str] = set()
    agents: set[str] = set()
    for spec_id in sorted(batch.results):
        rendered = batch.results[spec_id]
        refs.extend(rendered.refs)
        for out in rendered.outputs:
            _known_from_path(formats, out.path, skills, agents)
        if rendered.cost is not None:
            (skills if rendered.cost.kind == "skill" else agents).add(rendered.cost.name)
    return _judged(batch, refs, skills, agents, formats, _recorded(previous, orphans))


def _recorded(previous: Manifest, orphans: set[str]) -> Iterable[list[str]]:
    """The outputs of each recorded spec but the `orphans`, read when iterated (only a
    reference asks for them: the records of 10,000 specs are then decoded)."""
    for spec_id, record in previous.specs.items():
        if spec_id not in orphans:
            yield record.outputs


def _judged(
    batch: Batch,
    refs: list[Ref],
    skills: set[str],
    agents: set[str],
    formats: list[Target],
    recorded: Iterable[list[str]],
) -> list[Problem]:
    """The last steps of the rules: the failed specs leave the batch, and references to
    names no spec builds are warnings. The names of the `recorded` outputs are only asked
    for by references (a build of six targets has six times the paths)."""
    for spec_id in batch.failed:
        batch.results.pop(spec_id, None)
    if not refs:
        return []
    for outputs in recorded:
        for path in outputs:
            _known_from_path(formats, path, skills, agents)
    return [p for t in formats for p in t.unknown_references(refs, skills, agents)]


def _unshared(
    previous: Manifest,
    plan: Plan,
    batch: Batch,
    owners: Owners,
    orphans: set[str],
    formats: list[Target],
) -> bool:
    """True when no output path and no kept-once name has two users in this build (the
    rule's walk would find nothing), told from the index and the rendered specs alone."""
    owners.update(previous.specs)
    results = batch.results

    def left(spec_id: str) -> bool:  # the walk counts the outputs the manifest records for it
        return not (
            spec_id in orphans
            or spec_id in plan.dirty
            or spec_id in plan.replay
            or spec_id in results
        )

    for path in owners.shared:
        if sum(1 for spec_id in owners.owners[path] if left(spec_id)) > 1:
            return False
    seen: set[str] = set()

    def used(key: str) -> bool:  # a second user of an output path or a kept-once name
        if key in seen:
            return True
        seen.add(key)
        return any(left(spec_id) for spec_id in owners.owners.get(key, ()))

    for rendered in results.values():
        for out in rendered.outputs:
            if used(out.path):
                return False
        cost = rendered.cost
        once = cost is not None and any(t.same_name(cost.kind) for t in formats)
        if once and cost is not None and used(f"{cost.kind} name '{cost.name}'"):
            return False
    return True


def _kept_to_own(previous: Manifest, batch: Batch, formats: list[Target]) -> bool:
    """True when no output path and no kept-once name has two users, told from the rendered
    specs alone, for the hot table's plan of an edit (`Plan.edited`): the last build's
    records then list each output once (`hot.hot_table`), so a spec that writes only
    outputs its own record lists shares none; names are the rendered specs' only."""
    names: set[str] = set()
    for spec_id, rendered in batch.results.items():
        record = previous.spec_record(spec_id)
        if record is None or not set(record.outputs).issuperset(o.path for o in rendered.outputs):
            return False
        cost = rendered.cost
        if cost is not None and any(t.same_name(cost.kind) for t in formats):
            name = f"{cost.kind} name '{cost.name}'"
            if name in names:
                return False
            names.add(name)
    return True


def _known_from_path(formats: list[Target], path: str, skills: set[str], agents: set[str]) -> None:
    for target in formats:
        key = (target.name, path)
        found = _RECOGNISED.get(key, _UNSEEN)
        if found is _UNSEEN:
            if len(_RECOGNISED) >= _RECOGNISED_MAX:
                _RECOGNISED.clear()
            found = _RECOGNISED[key] = target.recognise(path)
        if found is not None:
            (skills if found[0] == "skill" else agents).add(found[1])
            return


# What each target recognises in an output path (a pure function of the two): every build
# asks again for every recorded output, and `watch` builds many times
_RECOGNISED: dict[tuple[str, str], tuple[str, str] | None] = {}
_RECOGNISED_MAX = 200_000
_UNSEEN = ("", "")
