"""The stack's observatories beyond the seed's generators, and the answers across all of them.

Built once before the cells (trigger catalogues, planted follow-ups: O(planted));
per cell it makes the generic tables' rows after the seed's (generic_rows.py),
scans every observation against every trigger (followup_scan.py), and collects
the cross-observatory objects. Its answers are written into answers.json only
when the stack has such tables, so the seed's stack keeps its bytes.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pyarrow as pa

from runner.datagen import streams, trigger_catalog
from runner.datagen.answers import KINDS
from runner.datagen.burst_catalog import BurstCatalog
from runner.datagen.cell import CellContext, ObjectKey
from runner.datagen.columns import NULL_INT, Rows
from runner.datagen.config import GeneratorConfig
from runner.datagen.followup_scan import WINDOW_HOURS, FollowupScan, TriggerRef
from runner.datagen.generic_rows import (
    MATCH_MAX_ERROR,
    Found,
    PointedObservatory,
    PointingPlan,
    three_observatory_bursts,
    write_triggers,
)
from runner.datagen.layout import StackTable, kind_column
from runner.datagen.profiles import profile_for
from runner.datagen.sources import PERSISTENT
from runner.datagen.sphere import j_name
from runner.datagen.swift_target_rows import Targets
from runner.datagen.trigger_catalog import V404

_NO_TARGETS = Targets(np.empty(0, np.int64), [], np.empty(0), np.empty(0), np.empty(0, np.int64))
POINTED = ("observations", "measurements", "detections")
CORRELATION_HOURS = 24.0  # the stack's correlation_window_hours


def _key(observatory: str) -> int:
    return zlib.crc32(observatory.encode()) & 0x7FFFFFFF


class OtherObservatories:
    def __init__(
        self, config: GeneratorConfig, layout: list[StackTable], catalog: BurstCatalog
    ) -> None:
        self.config, self.catalog, self.layout = config, catalog, layout
        self.generic = [t for t in layout if not t.seed]
        self.kinds: dict[str, dict[str, str]] = {}
        for t in layout:
            self.kinds.setdefault(t.observatory, {})[t.kind] = t.name
        self.three = three_observatory_bursts(
            streams.stream(config.seed, streams.GENERIC, 0), catalog
        )
        names = list(dict.fromkeys(t.observatory for t in self.generic))
        self.catalogs = {
            obs: trigger_catalog.build(
                config,
                streams.stream(config.seed, streams.GENERIC, _key(obs), 0),
                profile_for(obs),
                catalog,
                self.three,
            )
            for obs in names
            if any(t.observatory == obs and t.kind == "triggers" for t in self.generic)
        }
        self.pointed = []
        for obs in names:
            tables = {t.kind: t.name for t in self.generic if t.observatory == obs}
            if any(k in tables for k in POINTED):
                plan = PointingPlan(
                    streams.stream(config.seed, streams.GENERIC, _key(obs), 1),
                    profile_for(obs),
                    catalog,
                    self.three,
                    list(self.catalogs.values()),
                    config.cell_order,
                )
                self.pointed.append(PointedObservatory(profile_for(obs), tables, plan))
        self.scan = FollowupScan(self._triggers())
        self.burst_of_trigger = {int(t): i for i, t in enumerate(catalog.trigger_id)}
        self.persistent_of_target = {t: i for i, s in enumerate(PERSISTENT) for t in s.target_ids}
        self.matches: list[dict[str, Any]] = []
        self.v404: dict[str, Any] = {}
        self.planted_visits: dict[str, list[dict[str, Any]]] = {}
        self._chandra_obsids: dict[int, int] = {}  # planted follow-up entry -> obsid

    # --- before the cells ---------------------------------------------------------------

    def _triggers(self) -> list[TriggerRef]:
        refs = []
        c = self.catalog
        if self.kinds.get("swift", {}).get("triggers") == "swift.bursts":
            for b in range(len(c)):
                refs.append(TriggerRef(
                    "swift", int(c.trigger_id[b]), c.grb_name[b], int(c.time_us[b]),
                    float(c.bat_ra[b]), float(c.bat_dec[b]), float(c.bat_err[b]),
                    float(c.significance[b]), ("afterglow", b), _burst(c, b),
                ))  # fmt: skip
        for obs, cat in self.catalogs.items():
            for i in range(len(cat)):
                b, s = int(cat.burst[i]), int(cat.source[i])
                if b >= 0:
                    tag, counterpart = ("afterglow", b), _burst(c, b)
                elif s >= 0:
                    tag, counterpart = ("persistent", s), {"persistent": PERSISTENT[s].name}
                else:
                    tag, counterpart = ("trigger", obs, i), None
                refs.append(TriggerRef(
                    obs, int(cat.trigger_id[i]), cat.names[i], int(cat.time_us[i]),
                    float(cat.ra[i]), float(cat.dec[i]), float(cat.err[i]),
                    float(cat.significance[i]), tag, counterpart,
                ))  # fmt: skip
        return refs

    # --- each cell ----------------------------------------------------------------------

    def fill(self, ctx: CellContext) -> tuple[dict[str, Rows], Found]:
        rows = {t.name: Rows(t.table.arrow_schema()) for t in self.generic}
        for obs, cat in self.catalogs.items():
            write_triggers(rows[self.kinds[obs]["triggers"]], cat, cat.in_cell(ctx.cell))
        found = Found()
        shared = ctx.slots.taken  # after the seed: its objects keep their slots
        for p in self.pointed:
            rng = streams.stream(
                self.config.seed, streams.GENERIC, _key(p.name), 2, ctx.cell_order, ctx.cell
            )
            p.fill(ctx, rng, shared, rows, found, self.config)
        return rows, found

    def after_cell(
        self, ctx: CellContext, tables: dict[str, pa.Table], found: Found, targets: Targets
    ) -> None:
        self._chandra_obsids.update(ctx.followup_obsids)
        chandra_followups = {
            obsid: int(ctx.catalog.fu_burst[e]) for e, obsid in ctx.followup_obsids.items()
        }
        for t in self.layout:
            if t.kind != "observations" or t.name not in tables:
                continue
            data = tables[t.name]
            ids = kind_column(t, data, "observation_id")
            start = data["start_time"].cast(pa.int64()).fill_null(NULL_INT).to_numpy()
            tags = [self._tag(t.observatory, str(i), data, j, found, chandra_followups)
                    for j, i in enumerate(ids)]  # fmt: skip
            self.scan.scan(
                t.observatory,
                ids,
                np.asarray(start, dtype=np.int64),
                data["ra"].to_numpy(),
                data["dec"].to_numpy(),
                tags,
            )
        self._planted_visits(ctx, found)
        self._cross(ctx, found, targets)
        if int(ctx.plan.persistent_cells[V404]) == ctx.cell:
            self._seen_by_four(ctx, found, tables)

    def _tag(self, obs, obs_id, data, row, found, chandra_followups):
        if (obs, obs_id) in found.tags:
            return found.tags[(obs, obs_id)]
        if obs == "swift" and "obs_id" in data.column_names:
            target = int(obs_id[:8])
            if target in self.burst_of_trigger:
                return ("afterglow", self.burst_of_trigger[target])
            if target in self.persistent_of_target:
                return ("persistent", self.persistent_of_target[target])
        if obs == "chandra" and "obsid" in data.column_names:
            if int(obs_id) in chandra_followups:
                return ("afterglow", chandra_followups[int(obs_id)])
            name = data["target_name"][row].as_py()
            for i, s in enumerate(PERSISTENT):
                if s.name == name:
                    return ("persistent", i)
        return None

    def _planted_visits(self, ctx: CellContext, found: Found) -> None:
        for (obs, obs_id), tag in found.tags.items():
            if tag[0] != "afterglow":
                continue
            b = int(tag[1])
            _, start = found.visits[(obs, obs_id)]
            self.planted_visits.setdefault(str(b), []).append(
                {
                    "observatory": obs,
                    "observation_id": obs_id,
                    "delay_hours": (start - int(ctx.catalog.time_us[b])) / 3_600_000_000,
                }
            )

    def _measured(self, ctx: CellContext, found: Found, targets: Targets, key: ObjectKey):
        """Each measuring observatory's names of ``key`` with their matchable points."""
        out: dict[str, dict[str, int]] = {}
        if self.kinds.get("swift", {}).get("measurements") == "swift.measurements":
            if key[0] == "target":
                j = int(np.flatnonzero(targets.ids == key[1])[0])
                swift = {targets.names[j]: int(targets.points[j])}
            else:
                swift = ctx.swift_points.get(key, {})
            swift = {n: p for n, p in swift.items() if p}
            if swift:
                out["swift"] = dict(sorted(swift.items()))
        for obs, names in found.points.get(key, {}).items():
            if names:
                out[obs] = dict(sorted(names.items()))
        return out

    def _cross(self, ctx: CellContext, found: Found, targets: Targets) -> None:
        catalogued: dict[tuple[str, ObjectKey], tuple[str, str, int]] = dict(found.sources)
        if self.kinds.get("chandra", {}).get("detections") == "chandra.detections":
            for key, value in ctx.chandra_sources.items():
                catalogued[("chandra", key)] = value
        for (obs, key), (source, target, detections) in catalogued.items():
            if not detections:
                continue
            matched = {
                m: names
                for m, names in self._measured(ctx, found, targets, key).items()
                if m != obs
            }
            if not matched:
                continue
            self.matches.append(
                {
                    "catalogue": obs,
                    "source_name": source,
                    "target_name": target,
                    "kind": KINDS[key[0]],
                    "object": self._object(key, targets),
                    "detections": detections,
                    "matched_observatories": sorted(matched),
                    "matched": matched,
                    "matched_points": sum(sum(n.values()) for n in matched.values()),
                }
            )

    def _object(self, key: ObjectKey, targets: Targets) -> str:
        if key[0] == "persistent":
            return PERSISTENT[key[1]].name
        if key[0] == "afterglow":
            return self.catalog.grb_name[key[1]]
        return targets.names[int(np.flatnonzero(targets.ids == key[1])[0])]

    def _seen_by_four(self, ctx: CellContext, found: Found, tables: dict[str, pa.Table]) -> None:
        src = PERSISTENT[V404]
        key = ("persistent", V404)
        measured = self._measured(ctx, found, _NO_TARGETS, key)
        detected = {}
        if self.kinds.get("chandra", {}).get("detections") == "chandra.detections":
            name, _, n = ctx.chandra_sources.get(key, (j_name("2CXO", src.ra, src.dec), "", 0))
            detected["chandra"] = {"source_name": name, "detections": n}
        for (obs, k), (name, _, n) in found.sources.items():
            if k == key:
                detected[obs] = {"source_name": name, "detections": n}
        triggers = {
            obs: [
                {"trigger_id": int(cat.trigger_id[i]), "trigger_name": cat.names[i]}
                for i in np.flatnonzero(cat.source == V404).tolist()
            ]
            for obs, cat in self.catalogs.items()
        }
        triggers = {obs: t for obs, t in triggers.items() if t}
        observed = {obs for (obs, _), tag in found.tags.items() if tag == key}
        for obs in ("swift", "chandra"):  # the seed's observations of it, when in the stack
            if self.kinds.get(obs, {}).get("observations") == f"{obs}.observations":
                observed.add(obs)
        observed = sorted(observed)
        pairs = self._simultaneous(ctx, tables, detected)
        everyone = sorted({*measured, *detected, *triggers, *observed})
        points = sorted({*measured, *detected})
        self.v404 = {
            "object": src.name,
            "ra": src.ra,
            "dec": src.dec,
            "observatories": everyone,
            "triggers": triggers,
            "measured": measured,
            "detected": detected,
            "pointed": observed,  # observations of it: what target_position sees
            "seen_by": {
                "cross_observatory_objects": [
                    {"catalogue": c, "source_name": d["source_name"],
                     "matched_observatories": sorted(m for m in measured if m != c)}
                    for c, d in sorted(detected.items()) if any(m != c for m in measured)
                ],
                "multi_wavelength_light_curve": points,
                "cone_search": points,
                "burst_followup_sequences": [
                    {"observatory": obs, "trigger_id": t["trigger_id"]}
                    for obs, ts in sorted(triggers.items()) for t in ts
                ],
                "data_quality_correlation": pairs,
                "target_position": observed,
            },
        }  # fmt: skip

    def _simultaneous(
        self, ctx: CellContext, tables: dict[str, pa.Table], detected: dict[str, dict]
    ) -> list[dict[str, Any]]:
        """Generic observatories' V404 points within 24 h of a catalogue's V404 detections."""
        window = int(CORRELATION_HOURS * 3_600_000_000)
        out = []
        for c, d in sorted(detected.items()):
            det_table = self.kinds[c]["detections"]
            det = tables[det_table]
            times = det["mid_time"].cast(pa.int64()).to_numpy()
            times = np.sort(times[np.asarray(det["source_name"].to_pylist()) == d["source_name"]])
            for p in self.pointed:
                m_name = p.tables.get("measurements")
                if p.name == c or m_name is None:
                    continue
                m = tables[m_name]
                mine = np.asarray(m["target_name"].to_pylist(), dtype=object) == "V404_Cyg"
                ok = mine & (m["err_radius_arcsec"].to_numpy() <= MATCH_MAX_ERROR)
                mid = m["mid_time"].cast(pa.int64()).to_numpy()[ok]
                lo = np.searchsorted(times, mid - window, side="left")
                hi = np.searchsorted(times, mid + window, side="right")
                n = int((hi - lo).sum())
                if n:
                    out.append({"catalogue": c, "source_name": d["source_name"],
                                "measured_by": p.name, "pairs": n})  # fmt: skip
        return out

    # --- answers.json -------------------------------------------------------------------

    def answers(self) -> dict[str, Any]:
        c = self.catalog
        three = []
        for b in self.three.tolist():
            chandra = [
                {"observatory": "chandra", "observation_id": str(o),
                 "delay_hours": int(c.fu_delay_us[e]) / 3_600_000_000}
                for e, o in sorted(self._chandra_obsids.items()) if int(c.fu_burst[e]) == b
                and bool(c.fu_in_window[e])
            ]  # fmt: skip
            others = sorted(self.planted_visits.get(str(b), []), key=lambda v: v["observatory"])
            observatories = sorted({"swift", "chandra", *(v["observatory"] for v in others)})
            if len(observatories) < 3:
                continue  # before the follow-up observatories' missions
            three.append(
                {
                    "trigger_id": int(c.trigger_id[b]),
                    "grb_name": c.grb_name[b],
                    "trigger_time": str(np.datetime64(int(c.time_us[b]), "us")),
                    "significance": float(c.significance[b]),
                    "observatories": observatories,
                    "planted": chandra + others,
                }
            )
        return {
            "stack": {obs: dict(sorted(k.items())) for obs, k in sorted(self.kinds.items())},
            "profiles": {
                obs: profile_for(obs).profile
                for obs in sorted({t.observatory for t in self.generic})
            },
            "followups_valid_for": {
                "window_hours_at_most": WINDOW_HOURS,
                "max_error_arcsec": MATCH_MAX_ERROR,
            },
            "triggers": self.scan.answers(),
            "three_observatory_bursts": three,
            "seen_by_four": self.v404,
            "cross_observatory_matches": sorted(
                self.matches, key=lambda m: (m["catalogue"], m["source_name"])
            ),
        }


def _burst(c: BurstCatalog, b: int) -> dict[str, Any]:
    return {"swift_trigger_id": int(c.trigger_id[b]), "grb_name": c.grb_name[b]}
