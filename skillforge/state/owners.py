"""Which recorded specs produce each output: an index a process that builds again and again
(`skillforge watch`) keeps, so that the rules between specs (`engine/load/crossrefs.py`) need
not walk every record of the manifest when a rebuild rendered a few specs. Standard library
only.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.state.manifest import SpecRecord


class Owners:
    """Which recorded specs produce each output, kept up to date with the manifest of each
    build (watch's warm state holds one: a one-shot build has no use for it)."""

    def __init__(self) -> None:
        self.outputs: dict[str, list[str]] = {}  # spec -> a copy of its recorded outputs
        self.owners: dict[str, list[str]] = {}  # output path -> the specs that record it
        self.shared: set[str] = set()  # output paths more than one spec records

    def update(self, specs: dict[str, SpecRecord]) -> None:
        """Bring the index in line with `specs` (a manifest's records): one comparison per
        spec, and work for those whose outputs changed."""
        known = self.outputs
        for spec_id, record in specs.items():
            outputs = known.get(spec_id)
            if outputs is None or outputs != record.outputs:
                self._drop(spec_id)
                self._add(spec_id, record.outputs[:])
        if len(known) != len(specs):
            for spec_id in [s for s in known if s not in specs]:
                self._drop(spec_id)

    def _add(self, spec_id: str, outputs: list[str]) -> None:
        self.outputs[spec_id] = outputs
        for path in outputs:  # a spec recording a path twice is two users, as in the walk
            specs = self.owners.setdefault(path, [])
            specs.append(spec_id)
            if len(specs) > 1:
                self.shared.add(path)

    def _drop(self, spec_id: str) -> None:
        for path in set(self.outputs.pop(spec_id, ())):
            specs = [s for s in self.owners.get(path, ()) if s != spec_id]
            if len(specs) < 2:
                self.shared.discard(path)
            if specs:
                self.owners[path] = specs
            else:
                self.owners.pop(path, None)
