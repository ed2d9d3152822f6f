"""What the caller chooses (rows, seed, rates) and the proportions that follow from it.

Every other table's size is derived here from ``rows`` (about the row count of
swift.measurements, the largest table), so the proportions live in one place
and docs/data.md can quote them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from runner.datagen.distributions import UVOT_DETECTED, XRT_DETECTED
from vastobs.errors import ParameterError

START_US = int(np.datetime64("2005-01-01T00:00:00", "us").astype(np.int64))
END_US = int(np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64))
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
YEARS = (END_US - START_US) / (365.25 * DAY_US)  # 20.0 Julian years

BURSTS_PER_YEAR = 97.0  # median of 80-120 GRBs/yr, 2005-2021 (ASTRO.md §2)
PERSISTENT_SHARE = 0.01  # of rows, per persistent source (capped below)
PERSISTENT_POINTS = (40, 6000)  # floor and cap of a persistent source's Swift points
BURST_SHARE = 0.15  # of rows, all burst light curves together
BURST_POINTS = (4.0, 300.0)  # floor and cap of the mean points per burst
TARGET_POINTS = 26.0  # mean Swift points per background target (swift_target_rows.py)
ROWS_PER_CHANDRA_OBS = 400  # background Chandra observations: rows / 400
CHANDRA_PER_PERSISTENT = (3, 60)  # Chandra observations per persistent source
ROWS_PER_CELL = 40_000  # measurement rows per coarse sky cell, at most about
MAX_ROWS = 400_000_000
"""Beyond about 4.9e8 rows the coarse cells reach order 6, whose 1,024 order-11
slots per cell cannot keep a cell's ~1,500 objects apart (sphere.py)."""


@dataclass(frozen=True)
class GeneratorConfig:
    rows: int
    seed: int
    burst_rate_multiplier: float = 1.0
    followup_fraction: float = 0.05
    batch_rows: int = 65_536

    def __post_init__(self) -> None:
        if self.rows < 1000:
            raise ParameterError(f"--rows {self.rows}: at least 1000")
        if self.rows > MAX_ROWS:
            raise ParameterError(f"--rows {self.rows}: at most {MAX_ROWS} (the sky cells' slots)")
        if self.seed < 0:
            raise ParameterError(f"--seed {self.seed}: must be >= 0")
        if not 0 < self.burst_rate_multiplier <= 1000:
            raise ParameterError(
                f"--burst-rate-multiplier {self.burst_rate_multiplier}: must be in (0, 1000]"
            )
        if self.expected_bursts > self.rows:
            most = self.rows / (BURSTS_PER_YEAR * YEARS)
            raise ParameterError(
                f"--burst-rate-multiplier {self.burst_rate_multiplier:g} makes "
                f"{self.expected_bursts:.0f} bursts, more than --rows {self.rows} can hold "
                f"(each burst has measurement rows): at --rows {self.rows} at most {most:.3g}"
            )
        if not 0 <= self.followup_fraction <= 1:
            raise ParameterError(f"--followup-fraction {self.followup_fraction}: must be in [0, 1]")
        if self.batch_rows < 1024:
            raise ParameterError(f"batch_rows {self.batch_rows}: at least 1024")

    @property
    def expected_bursts(self) -> float:
        return BURSTS_PER_YEAR * YEARS * self.burst_rate_multiplier

    @property
    def points_per_burst(self) -> float:
        """Mean Swift points (BAT + XRT + UVOT) per burst light curve."""
        lo, hi = BURST_POINTS
        return min(hi, max(lo, BURST_SHARE * self.rows / self.expected_bursts))

    @property
    def points_per_persistent(self) -> int:
        lo, hi = PERSISTENT_POINTS
        return int(min(hi, max(lo, PERSISTENT_SHARE * self.rows)))

    @property
    def chandra_per_persistent(self) -> int:
        lo, hi = CHANDRA_PER_PERSISTENT
        return int(min(hi, max(lo, self.rows // 20_000)))

    def background_targets(self, persistent_sources: int) -> float:
        """Background Swift targets: the rows the bursts and persistent sources leave.

        A burst has BAT points (0.2 of the mean), XRT points (0.65) when XRT saw it
        (84%) and UVOT points (0.15) for a third of those (swift_burst_rows.py)."""
        share = 0.2 + XRT_DETECTED * (0.65 + UVOT_DETECTED * 0.15)
        used = self.expected_bursts * self.points_per_burst * share
        used += persistent_sources * self.points_per_persistent
        return max(0.0, self.rows - used) / TARGET_POINTS

    @property
    def background_chandra_observations(self) -> float:
        return max(10.0, self.rows / ROWS_PER_CHANDRA_OBS)

    @property
    def cell_order(self) -> int:
        """Coarse HEALPix order of the generation cells: order 2 (192 cells) up to
        about 7.7e6 rows, finer beyond, so a cell holds about ROWS_PER_CELL rows or fewer."""
        need = self.rows / (12 * ROWS_PER_CELL)
        return max(2, math.ceil(math.log(need, 4))) if need > 1 else 2
