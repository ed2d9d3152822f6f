"""Independent, reproducible random streams: one per purpose and per sky cell.

A stream is keyed by the seed and a tuple of small integers (NumPy's
``SeedSequence`` spawn key), so a cell's rows depend only on the seed, the
options and the cell, never on how many numbers another cell drew.
"""

from __future__ import annotations

import numpy as np

BURSTS = 1
PLAN = 2
CELL = 3
GENERIC = 4  # observatories without a generator of their own (generic_rows.py)


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
