"""A realistic, deterministic dataset for every table, with its planted ground truth.

``generate(GeneratorConfig(rows=..., seed=...), out, project_dir)`` writes
``out/<observatory>/<table>.parquet`` (exactly the DDL's Arrow schema, sorted
by (hpx, time), so ``python -m runner load`` takes every row) and
``out/answers.json`` (which Chandra observations follow which burst, which
objects both observatories saw). Same options, same bytes. The CLI is
``python -m runner demo-data``; docs/data.md has the distributions, the
proportions and the memory and time measured at 10^7 rows.

Modules, one job each: config (options, proportions), streams (random
streams), sphere (slots, cells, noise, names), distributions (the observed
distributions), sources (real persistent sources), burst_catalog (the
whole-sky burst catalogue), plan (per-cell counts and ids), cell (what a
cell's producers share), instruments (how XRT, UVOT and BAT measure),
swift_writers (the two Swift row writers); the producers of a cell's rows,
swift_burst_rows (each burst's Swift rows), swift_target_rows (the Swift rows
of pointed targets) and chandra_rows (Chandra observations and detections);
columns (Arrow columns), sink (Parquet writers), answers (answers.json),
generate (the driver).

Any other observatory of the stack (``generate(..., observatories=...)``):
layout (the stack's tables, their kinds and producers), profiles (instrument
profiles), trigger_catalog (another observatory's triggers), generic_rows
(pointed observatories' visits and rows), followup_scan (every trigger's
follow-ups, found exactly), other_observatories (their driver and answers).
"""

from runner.datagen.config import GeneratorConfig
from runner.datagen.generate import TABLES, Summary, generate, table_file

__all__ = ["TABLES", "GeneratorConfig", "Summary", "generate", "table_file"]
