"""The driver: plan, then each sky cell in order, streamed to one Parquet file per table.

Memory: the burst catalogue (O(bursts)), the per-cell plan (O(cells)), the
planted answers (a small fraction of rows), one cell's rows and one row group
per table. Nothing else grows with ``rows``: cells arrive in nested-index
order and each is sorted on its own, so the files come out sorted by (hpx,
time) with no global sort (sphere.py explains why that holds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runner.datagen import chandra_rows, streams, swift_burst_rows, swift_target_rows
from runner.datagen.answers import Answers
from runner.datagen.burst_catalog import build as build_bursts
from runner.datagen.cell import CellContext, SlotPool
from runner.datagen.columns import Rows
from runner.datagen.config import GeneratorConfig
from runner.datagen.plan import make_plan
from runner.datagen.sink import TableSink
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import slot_neighbourhood, slots_of
from vastobs.ddl import TableDef, load_table

TABLES = (
    "swift.bursts",
    "swift.observations",
    "swift.measurements",
    "chandra.observations",
    "chandra.detections",
)


@dataclass(frozen=True)
class Summary:
    out: Path
    files: dict[str, Path]
    rows: dict[str, int]
    answers: Path
    bursts: int
    planted_followups: int
    cross_objects: int
    seconds: float


def table_file(out: Path, logical_name: str) -> Path:
    """``DIR/<observatory>/<table>.parquet`` (docs/data.md)."""
    observatory, name = logical_name.split(".")
    return out / observatory / f"{name}.parquet"


def generate(
    config: GeneratorConfig,
    out: Path,
    project_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    began = time.perf_counter()
    tables: dict[str, TableDef] = {
        name: load_table(project_dir, *name.split(".")) for name in TABLES
    }
    excluded: set[int] = set()
    for src in PERSISTENT:
        excluded |= slot_neighbourhood(int(slots_of([src.ra], [src.dec])[0]))
    catalog = build_bursts(config, streams.stream(config.seed, streams.BURSTS), excluded)
    plan = make_plan(config, streams.stream(config.seed, streams.PLAN), catalog, PERSISTENT)
    answers = Answers(config, plan, catalog)
    out.mkdir(parents=True, exist_ok=True)
    sinks = {
        name: TableSink(table_file(out, name), t.arrow_schema(), config.batch_rows)
        for name, t in tables.items()
    }
    try:
        for cell in range(plan.n_cells):
            ctx = _cell(config, plan, catalog, cell, tables, excluded)
            targets = _fill(ctx)
            for name, rows in ctx.rows.items():
                sinks[name].write(rows.to_table(tables[name].sorted_by[1], cell, plan.cell_order))
            answers.add_cell(ctx, targets)
            if progress:
                progress(cell + 1, plan.n_cells)
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()
    rows = {name: sink.rows for name, sink in sinks.items()}
    path = out / "answers.json"
    doc = answers.write(path, rows)
    return Summary(
        out=out,
        files={name: sink.path for name, sink in sinks.items()},
        rows=rows,
        answers=path,
        bursts=len(catalog),
        planted_followups=sum(len(b["followups"]) for b in doc["bursts"]),
        cross_objects=len(doc["cross_observatory_objects"]),
        seconds=time.perf_counter() - began,
    )


def _cell(config, plan, catalog, cell, tables, excluded) -> CellContext:
    rng = streams.stream(config.seed, streams.CELL, plan.cell_order, cell)
    bursts_here = catalog.in_cell(cell)
    taken = excluded | {int(s) for s in catalog.slot[bursts_here]}
    return CellContext(
        cell=cell,
        config=config,
        plan=plan,
        catalog=catalog,
        rng=rng,
        slots=SlotPool(rng, cell, plan.cell_order, taken),
        rows={name: Rows(t.arrow_schema()) for name, t in tables.items()},
        next_obsid=int(plan.obsid_base[cell]),
    )


def _fill(ctx: CellContext) -> swift_target_rows.Targets:
    """Everything in the cell, in a fixed order (the random stream depends on it)."""
    here = ctx.catalog.in_cell(ctx.cell)
    out = chandra_rows.ChandraRows()
    swift_burst_rows.bursts(ctx, here)
    chandra_rows.followups(ctx, out, here)
    for i in (ctx.plan.persistent_cells == ctx.cell).nonzero()[0].tolist():
        swift_target_rows.persistent(ctx, i)
        chandra_rows.persistent(ctx, out, i)
    targets = swift_target_rows.background(ctx)
    chandra_rows.background(ctx, out, targets)
    out.flush(ctx)
    if ctx.cell + 1 < ctx.plan.n_cells and ctx.next_obsid != ctx.plan.obsid_base[ctx.cell + 1]:
        raise AssertionError(f"cell {ctx.cell} used other obsids than planned")
    return targets
