"""What one sky cell's producers share: its random stream, free slots, rows and ids.

A cell holds everything whose position falls in it, so the producers
(swift_burst_rows.py, swift_target_rows.py, chandra_rows.py) write into the
cell's ``Rows`` and report what they planted; ``generate.py`` sorts and writes
the cell, then forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.columns import Rows
from runner.datagen.config import GeneratorConfig
from runner.datagen.plan import Plan
from runner.datagen.sphere import in_cells, place, scatter, slot_range, slots_in_cone

ObjectKey = tuple[str, int]  # ("persistent", i) | ("afterglow", burst) | ("target", target_id)


class SlotPool:
    """The cell's free slots: each object placed takes one, so objects stay apart."""

    def __init__(self, rng: np.random.Generator, cell: int, cell_order: int, taken: set[int]):
        self.rng = rng
        self.lo, self.hi = slot_range(cell, cell_order)
        self.taken = {s for s in taken if self.lo <= s < self.hi}

    def take(self, n: int) -> np.ndarray:
        if n > (self.hi - self.lo) - len(self.taken):
            raise RuntimeError(
                "a sky cell has no free slots left: --rows is beyond what order-11 slots hold"
            )
        chosen: list[int] = []
        while len(chosen) < n:
            for s in self.rng.integers(self.lo, self.hi, n - len(chosen) + 8).tolist():
                if s not in self.taken and len(chosen) < n:
                    self.taken.add(s)
                    chosen.append(s)
        return np.asarray(chosen, dtype=np.int64)

    def take_near(self, ra: float, dec: float, radius_arcsec: float, n: int) -> np.ndarray:
        """Up to ``n`` free slots whose centres lie within the radius (and in the cell)."""
        near = slots_in_cone(ra, dec, radius_arcsec)
        near = near[(near >= self.lo) & (near < self.hi)]
        free = np.array([s for s in near.tolist() if s not in self.taken], dtype=np.int64)
        if not free.size:
            return free
        picked = self.rng.choice(free, size=min(n, free.size), replace=False)
        self.taken.update(int(s) for s in picked)
        return np.sort(picked)


@dataclass
class CellContext:
    cell: int
    config: GeneratorConfig
    plan: Plan
    catalog: BurstCatalog
    rng: np.random.Generator
    slots: SlotPool
    rows: dict[str, Rows]
    next_obsid: int
    # what was planted, for answers.json
    swift_points: dict[ObjectKey, dict[str, int]] = field(default_factory=dict)
    chandra_sources: dict[ObjectKey, tuple[str, str, int]] = field(default_factory=dict)
    followup_obsids: dict[int, int] = field(default_factory=dict)  # follow-up entry -> obsid

    @property
    def cell_order(self) -> int:
        return self.plan.cell_order

    def obsids(self, n: int) -> np.ndarray:
        first = self.next_obsid
        self.next_obsid += n
        return np.arange(first, first + n, dtype=np.int64)

    def place(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True positions of objects in these slots (inside their slots, so in the cell)."""
        return place(self.rng, slots)

    def noisy(
        self, ra: np.ndarray, dec: np.ndarray, r90: np.ndarray, cap: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Measured positions within min(r90, cap) of true positions in slots: the
        noise is arcsec, the slot's edge tens of arcsec away, so no check is needed
        (``Rows.to_table`` verifies every row's cell all the same)."""
        r90 = np.broadcast_to(np.asarray(r90, dtype=float), np.shape(ra))
        return scatter(self.rng, ra, dec, r90, np.minimum(r90, cap) * 0.999)

    def noisy_anywhere(
        self, ra: np.ndarray, dec: np.ndarray, r90: np.ndarray, cap: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same around positions not in slots (persistent sources): drawn again
        where the noise would cross the cell's edge."""
        r90 = np.broadcast_to(np.asarray(r90, dtype=float), np.shape(ra))
        limit = np.minimum(r90, cap) * 0.999
        return in_cells(
            self.cell,
            self.cell_order,
            len(ra),
            lambda i: scatter(self.rng, ra[i], dec[i], r90[i], limit[i]),
        )


def string_ids(values: np.ndarray, width: int) -> pa.Array:
    return pa.array([f"{int(v):0{width}d}" for v in values], type=pa.string())
