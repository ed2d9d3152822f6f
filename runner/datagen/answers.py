"""answers.json: the planted ground truth, for tests and for anyone checking a query.

Collected as the cells run (only what was planted: follow-up obsids and the
objects both observatories saw, a small fraction of the rows) and written
last, with sorted keys so the same seed gives the same bytes. The format is
in docs/data.md ("answers.json").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.cell import CellContext
from runner.datagen.config import HOUR_US, GeneratorConfig
from runner.datagen.plan import Plan
from runner.datagen.sources import PERSISTENT
from runner.datagen.swift_target_rows import Targets

FORMAT_VERSION = 1
WINDOW_HOURS_MAX = 192.0  # answers hold for follow-up windows up to 8 days (chandra_rows.py)
KINDS = {"persistent": "persistent", "afterglow": "afterglow", "target": "shared_background"}


def _iso(us: int) -> str:
    return str(np.datetime64(int(us), "us"))


class Answers:
    def __init__(self, config: GeneratorConfig, plan: Plan, catalog: BurstCatalog) -> None:
        self.config, self.plan, self.catalog = config, plan, catalog
        self.followup_obsids: dict[int, int] = {}
        self.objects: list[dict[str, Any]] = []

    def add_cell(self, ctx: CellContext, targets: Targets) -> None:
        self.followup_obsids.update(ctx.followup_obsids)
        background = {
            int(t): (name, int(n))
            for t, name, n in zip(targets.ids, targets.names, targets.points, strict=True)
        }
        for key, (source, chandra_target, detections) in ctx.chandra_sources.items():
            if key[0] == "target":
                name, points = background[key[1]]
                swift = {name: points}
            else:
                swift = ctx.swift_points.get(key, {})
            swift = {name: n for name, n in swift.items() if n}
            if not swift or not detections:
                continue
            kind, ident = key
            if kind == "persistent":
                obj = PERSISTENT[ident].name
            elif kind == "afterglow":
                obj = self.catalog.grb_name[ident]
            else:
                obj = background[ident][0]
            self.objects.append(
                {
                    "chandra_source": source,
                    "chandra_target": chandra_target,
                    "kind": KINDS[kind],
                    "object": obj,
                    "swift_names": dict(sorted(swift.items())),
                    "swift_points": sum(swift.values()),
                    "chandra_detections": detections,
                }
            )

    def bursts(self) -> list[dict[str, Any]]:
        c = self.catalog
        planted: dict[int, list[dict[str, Any]]] = {}
        for e, obsid in self.followup_obsids.items():
            b = int(c.fu_burst[e])
            delay = int(c.fu_delay_us[e])
            planted.setdefault(b, []).append(
                {
                    "obsid": obsid,
                    "start_time": _iso(int(c.time_us[b]) + delay),
                    "delay_hours": delay / HOUR_US,
                    "in_window": bool(c.fu_in_window[e]),
                    "afterglow_detected": bool(c.fu_detected[e]),
                }
            )
        return [
            {
                "trigger_id": int(c.trigger_id[i]),
                "grb_name": c.grb_name[i],
                "trigger_time": _iso(int(c.time_us[i])),
                "significance": float(c.significance[i]),
                "err_radius_arcsec": float(c.bat_err[i]),
                "xrt_detected": bool(c.xrt_detected[i]),
                "followups": sorted(
                    planted.get(i, []), key=lambda f: (f["start_time"], f["obsid"])
                ),
            }
            for i in range(len(c))
        ]

    def write(
        self, path: Path, rows: dict[str, int], extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``extra``: the other observatories' answers (other_observatories.py), absent
        for the seed's stack so that its file keeps its bytes."""
        bursts = self.bursts()
        doc = {
            "format_version": FORMAT_VERSION,
            "generator": {
                "rows": self.config.rows,
                "seed": self.config.seed,
                "burst_rate_multiplier": self.config.burst_rate_multiplier,
                "followup_fraction": self.config.followup_fraction,
                "cell_order": self.plan.cell_order,
            },
            "rows": rows,
            "valid_for": {
                "followup_window_hours_at_most": WINDOW_HOURS_MAX,
                "cross_match_radius_arcsec": [2.0, 40.0],
            },
            "bursts": bursts,
            "cross_observatory_objects": sorted(self.objects, key=lambda o: o["chandra_source"]),
        }
        doc.update(extra or {})
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)
        return doc
