"""How many objects each sky cell gets, and the id ranges that follow, before any cell runs.

Drawing the per-cell counts first (O(cells) numbers) lets ids run without gaps
in cell order: a cell's background targets and Chandra observations take the
next ids after the previous cell's, with no global pass over the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.config import GeneratorConfig
from runner.datagen.sources import PersistentSource
from runner.datagen.sphere import cells_of
from vastobs.sky import healpix14_array

FIRST_BACKGROUND_TARGET = 10_000_000  # above every BAT trigger number (target_id = trigger)
FIRST_OBSID = 1


@dataclass(frozen=True)
class Plan:
    cell_order: int
    n_cells: int
    targets: np.ndarray  # background Swift targets per cell
    chandra_obs: np.ndarray  # background Chandra observations per cell
    target_base: np.ndarray  # first background target_id per cell
    obsid_base: np.ndarray  # first Chandra obsid per cell
    persistent_cells: np.ndarray  # the cell of each persistent source
    points_per_burst: float
    points_per_persistent: int
    chandra_per_persistent: int


def make_plan(
    config: GeneratorConfig,
    rng: np.random.Generator,
    catalog: BurstCatalog,
    persistent: tuple[PersistentSource, ...],
) -> Plan:
    k = config.cell_order
    n_cells = 12 * 4**k
    targets = rng.poisson(config.background_targets(len(persistent)) / n_cells, n_cells)
    chandra = rng.poisson(config.background_chandra_observations / n_cells, n_cells)
    pcells = cells_of(
        healpix14_array(
            np.array([s.ra for s in persistent]), np.array([s.dec for s in persistent])
        ),
        k,
    )
    followups = np.bincount(catalog.cell[catalog.fu_burst], minlength=n_cells)
    per_cell = chandra + followups
    per_cell += np.bincount(pcells, minlength=n_cells) * config.chandra_per_persistent
    return Plan(
        cell_order=k,
        n_cells=n_cells,
        targets=targets,
        chandra_obs=chandra,
        target_base=FIRST_BACKGROUND_TARGET + np.concatenate([[0], np.cumsum(targets)[:-1]]),
        obsid_base=FIRST_OBSID + np.concatenate([[0], np.cumsum(per_cell)[:-1]]),
        persistent_cells=pcells,
        points_per_burst=config.points_per_burst,
        points_per_persistent=config.points_per_persistent,
        chandra_per_persistent=config.chandra_per_persistent,
    )
