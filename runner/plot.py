"""Light-curve plots as published: one panel per observatory, stacked on a shared
UTC time axis, each instrument and band of that observatory a series with error bars.

Panels follow the stack's order of observatories (its config order), so the
figure reads the same way as the stack file; an observatory with no point in
the cone gets no panel and is named in the title. Points whose quality is not
``good`` are drawn hollow. The plotted data are returned with the figure, so
tests check the panels, series and points themselves, not just that a PNG exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files, never a window
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredText

from runner.engines import Engine
from runner.query import Query
from runner.result import Result
from runner.target_names import unknown_target
from vastobs.errors import VastobsError

GOOD = "good"  # the quality value of a point with nothing wrong (queries/kinds/*.sql)
MARKERS = "osD^vP*X"  # one per series of a panel, so a grey print still tells them apart


@dataclass(frozen=True)
class Series:
    observatory: str  # the panel it is drawn on
    label: str  # 'XRT 0.3-10keV': instrument and band
    times: list[Any]
    values: list[float]
    errors: list[float]
    good: list[bool]  # quality is 'good'; the others are drawn hollow


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
    groups: dict[tuple[str, str], Series] = {}
    for row in result.table.to_pylist():
        if row[value] is None:
            continue
        label = f"{row['instrument']} {row['band']}"
        key = (row["observatory"], label)
        s = groups.setdefault(key, Series(row["observatory"], label, [], [], [], []))
        s.times.append(row["time_utc"])
        s.values.append(row[value])
        s.errors.append(row[error] or 0.0)
        s.good.append(row["quality"] == GOOD)
    return [groups[k] for k in sorted(groups)]


def observatory_order(engine: Engine, query: Query, values: dict[str, Any]) -> tuple[str, ...]:
    """The observatories ``query`` reads, in the stack's order (its config order)."""
    chosen = {o for names in engine.selection(query, values).values() for o in names}
    stack = engine.catalog.tables if engine.catalog else {}
    return tuple(o for o in dict.fromkeys(obs for obs, _ in stack) if o in chosen)


def panels_of(
    series: list[Series], observatories: tuple[str, ...] = ()
) -> tuple[dict[str, list[Series]], list[str]]:
    """Each observatory with points and its series, in ``observatories``' order (one not
    listed comes after, alphabetically); and the listed observatories with no point."""
    having = {s.observatory for s in series}
    order = [o for o in observatories if o in having]
    order += sorted(having - set(order))
    panels = {o: [s for s in series if s.observatory == o] for o in order}
    return panels, [o for o in observatories if o not in having]


def light_curve_figure(
    series: list[Series], title: str, use_flux: bool = False, observatories: tuple[str, ...] = ()
) -> Figure:
    """One panel per observatory with points (``panels_of``), sharing the time axis."""
    panels, empty = panels_of(series, observatories)
    if empty:
        title = f"{title}; no points from {', '.join(empty)}"
    rows = max(len(panels), 1)
    figure = plt.figure(figsize=(10, 1.2 + 2.3 * rows), layout="constrained")
    figure.get_layout_engine().set(h_pad=0.01, hspace=0.0)  # panels all but touch
    grid = figure.subplots(rows, 1, sharex=True, squeeze=False)
    axes: list[Axes] = [row[0] for row in grid]
    unit = "flux (erg cm$^{-2}$ s$^{-1}$)" if use_flux else "rate (counts s$^{-1}$)"
    for ax, (observatory, drawn) in zip(axes, panels.items(), strict=False):
        _panel(ax, observatory, drawn)
        ax.set_ylabel(unit)
        if not use_flux:  # counts per second read as plain numbers, not 3x10^0
            ax.yaxis.set_major_formatter(mticker.LogFormatter())
            ax.yaxis.set_minor_formatter(
                mticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5))
            )
    if not panels:
        axes[0].text(0.5, 0.5, "no points in the cone", ha="center", transform=axes[0].transAxes)
    bottom = axes[-1]
    locator = mdates.AutoDateLocator(tz=dt.UTC)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=dt.UTC))
    bottom.set_xlabel("time (UTC)")
    figure.suptitle(title)
    return figure


def _panel(ax: Axes, observatory: str, series: list[Series]) -> None:
    """One observatory: a series per instrument and band, its flagged points hollow."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    flagged_any = False
    for i, s in enumerate(series):
        style = {"fmt": MARKERS[i % len(MARKERS)], "color": colors[i % len(colors)],
                 "markersize": 4, "capsize": 2, "elinewidth": 0.8}  # fmt: skip
        label = s.label
        for good in (True, False):
            at = [k for k, g in enumerate(s.good) if g == good]
            if not at:
                continue
            hollow = {} if good else {"markerfacecolor": "none"}
            ax.errorbar(
                [s.times[k] for k in at],
                [s.values[k] for k in at],
                yerr=[s.errors[k] for k in at],
                label=label,
                **style,
                **hollow,
            )
            label = "_nolegend_"  # one legend entry per series
            flagged_any = flagged_any or not good
    handles, labels = ax.get_legend_handles_labels()
    if flagged_any:
        handles.append(Line2D([], [], marker="o", ls="", color="grey", markerfacecolor="none"))
        labels.append("quality not good")
    ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.add_artist(AnchoredText(observatory, loc="upper left", frameon=False))
    ax.set_label(observatory)
    ax.set_yscale("log")


def save(figure: Figure, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=120)
    plt.close(figure)
