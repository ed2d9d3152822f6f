"""The driver: plan, then each sky cell in order, streamed to one Parquet file per table.

Memory: the burst catalogue (O(bursts)), the per-cell plan (O(cells)), the
planted answers (a small fraction of rows), one cell's rows and one row group
per table. Nothing else grows with ``rows``: cells arrive in nested-index
order and each is sorted on its own, so the files come out sorted by (hpx,
time) with no global sort (sphere.py explains why that holds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runner.datagen import chandra_rows, streams, swift_burst_rows, swift_target_rows
from runner.datagen.answers import Answers
from runner.datagen.burst_catalog import build as build_bursts
from runner.datagen.cell import CellContext, SlotPool
from runner.datagen.columns import Rows
from runner.datagen.config import GeneratorConfig
from runner.datagen.layout import TABLES, stack_tables
from runner.datagen.other_observatories import OtherObservatories
from runner.datagen.plan import make_plan
from runner.datagen.sink import TableSink
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import slot_neighbourhood, slots_of
from vastobs.config import ObservatoryConfig
from vastobs.ddl import TableDef, load_table

__all__ = ["TABLES", "Summary", "generate", "table_file"]


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
    observatories: tuple[str, ...] = ("swift", "chandra")
    triggers: int = 0  # triggers of every trigger table (with observatories beyond the seed's)
    three_observatory_bursts: int = 0


def table_file(out: Path, logical_name: str) -> Path:
    """``DIR/<observatory>/<table>.parquet`` (docs/data.md)."""
    observatory, name = logical_name.split(".")
    return out / observatory / f"{name}.parquet"


def generate(
    config: GeneratorConfig,
    out: Path,
    project_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    observatories: Sequence[ObservatoryConfig] | None = None,
) -> Summary:
    """Write every table of ``observatories`` (a stack's; the seed's five tables when
    None) and answers.json. The seed's tables come from the Swift and Chandra
    generators whatever the stack, so they are the same bytes with or without
    other observatories; a stack of the seed's two gives the seed's bytes."""
    began = time.perf_counter()
    layout = stack_tables(project_dir, observatories)
    written = {t.name: t.table for t in layout}
    seed_tables: dict[str, TableDef] = {
        name: written[name] if name in written else load_table(project_dir, *name.split("."))
        for name in TABLES
    }
    excluded: set[int] = set()
    for src in PERSISTENT:
        excluded |= slot_neighbourhood(int(slots_of([src.ra], [src.dec])[0]))
    catalog = build_bursts(config, streams.stream(config.seed, streams.BURSTS), excluded)
    plan = make_plan(config, streams.stream(config.seed, streams.PLAN), catalog, PERSISTENT)
    answers = Answers(config, plan, catalog)
    others = (
        OtherObservatories(config, layout, catalog) if any(not t.seed for t in layout) else None
    )
    out.mkdir(parents=True, exist_ok=True)
    sinks = {
        name: TableSink(table_file(out, name), t.arrow_schema(), config.batch_rows)
        for name, t in written.items()
    }
    try:
        for cell in range(plan.n_cells):
            ctx = _cell(config, plan, catalog, cell, seed_tables, excluded)
            targets = _fill(ctx)
            tables = {
                name: rows.to_table(seed_tables[name].sorted_by[1], cell, plan.cell_order)
                for name, rows in ctx.rows.items()
            }
            if others is not None:
                rows, found = others.fill(ctx)
                for name, r in rows.items():
                    tables[name] = r.to_table(written[name].sorted_by[1], cell, plan.cell_order)
                others.after_cell(ctx, tables, found, targets)
            for name, table in tables.items():
                if name in sinks:
                    sinks[name].write(table)
            answers.add_cell(ctx, targets)
            if progress:
                progress(cell + 1, plan.n_cells)
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()
    rows_written = {name: sink.rows for name, sink in sinks.items()}
    path = out / "answers.json"
    extra = others.answers() if others is not None else None
    doc = answers.write(path, rows_written, extra)
    return Summary(
        out=out,
        files={name: sink.path for name, sink in sinks.items()},
        rows=rows_written,
        answers=path,
        bursts=len(catalog),
        planted_followups=sum(len(b["followups"]) for b in doc["bursts"]),
        cross_objects=len(doc["cross_observatory_objects"]),
        seconds=time.perf_counter() - began,
        observatories=tuple(dict.fromkeys(t.observatory for t in layout)),
        triggers=len(extra["triggers"]) if extra else 0,
        three_observatory_bursts=len(extra["three_observatory_bursts"]) if extra else 0,
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
