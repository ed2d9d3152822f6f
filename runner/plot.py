"""Light-curve plots: one series with error bars per instrument and band, both observatories.

The plotted data are returned with the figure, so tests check the series and
points themselves, not just that a PNG exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files, never a window
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from runner.engines import Engine
from runner.query import Query
from runner.result import Result
from runner.target_names import unknown_target
from vastobs.errors import VastobsError


@dataclass(frozen=True)
class Series:
    label: str  # 'swift XRT 0.3-10keV'
    times: list[Any]
    values: list[float]
    errors: list[float]


def resolve_target(engine: Engine, queries_dir: Path, target: str) -> tuple[float, float]:
    result = engine.run(Query.load(queries_dir / "target_position.sql"), {"target": target})
    rows = result.table.to_pylist()
    if not rows or rows[0]["ra"] is None:
        names = engine.run(Query.load(queries_dir / "target_names.sql")).table
        known = zip(names["target_name"].to_pylist(), names["target_key"].to_pylist(), strict=True)
        raise VastobsError(unknown_target(target, known))
    return float(rows[0]["ra"]), float(rows[0]["dec"])


def series_of(result: Result, use_flux: bool = False) -> list[Series]:
    """Points grouped by observatory, instrument and band, in time order."""
    value, error = ("flux_erg_cm2_s", "flux_error") if use_flux else ("rate", "rate_error")
    groups: dict[str, Series] = {}
    for row in result.table.to_pylist():
        if row[value] is None:
            continue
        label = f"{row['observatory']} {row['instrument']} {row['band']}"
        s = groups.setdefault(label, Series(label, [], [], []))
        s.times.append(row["time_utc"])
        s.values.append(row[value])
        s.errors.append(row[error] or 0.0)
    return [groups[k] for k in sorted(groups)]


def light_curve_figure(series: list[Series], title: str, use_flux: bool = False) -> Figure:
    figure, axes = plt.subplots(figsize=(11, 5.5))
    for s in series:
        axes.errorbar(
            s.times, s.values, yerr=s.errors, fmt="o", markersize=3, capsize=2, label=s.label
        )
    axes.set_yscale("log")
    axes.set_xlabel("time (UTC)")
    axes.set_ylabel("flux (erg cm$^{-2}$ s$^{-1}$)" if use_flux else "rate (counts s$^{-1}$)")
    axes.set_title(title)
    if series:
        axes.legend(fontsize="small", loc="best")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def save(figure: Figure, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=120)
    plt.close(figure)
