"""What a build knows before it plans: the no-op scan it may reuse, and the `Start` it runs from.

Plain classes, standard library only: the no-op fast path makes a `Scanned`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import Manifest
    from skillforge.state.plan import Plan


class Scanned:
    """What the fast path read, handed to the full build so it does not read it again."""

    __slots__ = ("inventory", "manifest", "plan", "root", "scan_ns")

    def __init__(
        self, root: str, inventory: Inventory, manifest: Manifest, plan: Plan, scan_ns: int
    ) -> None:
        self.root = root
        self.inventory = inventory
        self.manifest = manifest
        self.plan = plan
        self.scan_ns = scan_ns


class Start:
    """What is known when a build begins, from a fresh scan, the no-op scan or a watch.

    `plan` is the plan already made for this very config (None: the build makes it), `only`
    the specs a save can have affected (None: all), `scan_ns` when the inventory was scanned,
    and `notes` the warnings found on the way (a corrupt manifest moved aside).
    """

    __slots__ = ("inventory", "notes", "only", "plan", "previous", "scan_ns")

    def __init__(
        self,
        inventory: Inventory,
        previous: Manifest | None,
        scan_ns: int,
        *,
        plan: Plan | None = None,
        only: set[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.inventory = inventory
        self.previous = previous
        self.scan_ns = scan_ns
        self.plan = plan
        self.only = only
        self.notes = notes or []
