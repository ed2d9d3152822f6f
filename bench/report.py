"""docs/benchmarks.md from the results: one table, ratios computed in the same run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.toolchain import TRINO_VERSION


@dataclass(frozen=True)
class Target:
    """Issue #7's targets for one scenario and size; every one also wants >= 100x naive."""

    max_ms: float
    min_vs_full_scan: float | None = None
    min_vs_naive: float = 100.0

    def describe(self) -> str:
        full = f", >= {self.min_vs_full_scan:.0f}x full scan" if self.min_vs_full_scan else ""
        return f"<= {self.max_ms:,.0f} ms{full}, >= {self.min_vs_naive:.0f}x naive"

    def verdict(self, r: dict[str, Any]) -> str:
        """``met``, or what missed; a naive baseline cut short counts by its projection."""
        fast = r["project"]["median_ms"]
        missed = []
        if fast > self.max_ms:
            missed.append(f"{fast:,.1f} ms")
        full = r.get("full_scan")
        if self.min_vs_full_scan and full and full["median_ms"] / fast < self.min_vs_full_scan:
            missed.append(f"{full['median_ms'] / fast:.0f}x full scan")
        projected = r["naive"].get("projected_ms")
        naive = (projected or r["naive"]["median_ms"]) / fast
        if naive < self.min_vs_naive:
            missed.append(f"{'~' if projected else ''}{naive:.0f}x naive")
        return "met" if not missed else "**missed**: " + ", ".join(missed)


TARGETS = {
    ("light_curve", 10_000_000): Target(10, 100),
    ("cone_search", 10_000_000): Target(10, 100),
    ("light_curve", 100_000_000): Target(50),
    ("cone_search", 100_000_000): Target(50),
    ("burst_followup", 10_000_000): Target(500),  # 10^5 bursts x 10^7 pointings
    ("cross_match", 1_000_000): Target(2000),  # 10^6 x 10^6
}


# Everything after this line in docs/benchmarks.md is written by hand (the analysis)
# and kept when the results above it are regenerated.
MARKER = "\n<!-- generated above; the analysis below is kept by make bench -->\n"


def _ms(t: dict[str, Any] | None) -> str:
    if not t:
        return "-"
    if t.get("lower_bound"):
        projected = t.get("projected_ms")
        return f">= {t['median_ms']:,.0f}" + (f" (~{projected:,.0f})" if projected else "")
    return f"{t['median_ms']:.1f} ({t['p10_ms']:.1f}-{t['p90_ms']:.1f})"


def _ratio(slow: dict[str, Any] | None, fast: dict[str, Any]) -> str:
    if not slow:
        return "-"
    ratio = f"{slow['median_ms'] / max(fast['median_ms'], 1e-6):,.0f}x"
    if not slow.get("lower_bound"):
        return ratio
    projected = slow.get("projected_ms")
    return f">= {ratio}" + (
        f" (~{projected / max(fast['median_ms'], 1e-6):,.0f}x)" if projected else ""
    )


def write_report(doc: dict[str, Any], path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {doc['date']} on {doc['machine']}; Python {doc['versions']['python']}, "
        f"DuckDB {doc['versions']['duckdb']}, sqlglot {doc['versions']['sqlglot']}. "
        f"Peak RSS of the run: {doc['peak_rss_mb']} MB. Regenerate with `{doc['command']}`.",
        "",
        "Times in ms: median (p10-p90) over repeated runs, in-process through the project's "
        "query files and runner library on a warm embedded DuckDB connection. *Full scan* is "
        "the same query with its HEALPix ranges opened to the whole sky, same engine and "
        "session; *naive* reads the Parquet into pandas and correlates in Python, as the seed "
        f"did (`>=`: stopped at the {doc.get('naive_budget_s', '?')} s budget or at 3/4 of the "
        "available memory, a lower bound; `~`: that run projected to all the rows from the "
        "share it went through, which is what the target's verdict uses). "
        "*CLI* is `python -m runner run` "
        "end to end, process start included. Data are synthetic, uniform on the sky, sorted by "
        "(hpx, time) as the loader leaves them (bench/synth.py). From 10^8 rows only the light "
        'curve and cone search run; `make bench BENCH_ARGS="--sizes 100000,1000000,10000000"` '
        "stops at 10^7.",
        "",
        "| scenario | rows | answer rows | project ms | full scan ms | vs full scan | naive ms | vs naive | CLI s | target | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["scenarios"]:
        target = TARGETS.get((r["scenario"], r["rows"]))
        rows = f"{r['rows']:,}" + (f" ({r['bursts']:,} bursts)" if "bursts" in r else "")
        lines.append(
            f"| {r['scenario']} | {rows} | {r['answer_rows']:,} | {_ms(r['project'])} | "
            f"{_ms(r.get('full_scan'))} | {_ratio(r.get('full_scan'), r['project'])} | "
            f"{_ms(r['naive'])} | {_ratio(r['naive'], r['project'])} | {r['cli_seconds']} | "
            f"{target.describe() if target else ''} | {target.verdict(r) if target else ''} |"
        )
    lines += _dataset_lines(doc["scenarios"])
    lines += _trino_lines(doc.get("trino") or {})
    lines += _preview_lines(doc.get("preview") or [])
    lines += _load_hold_lines(doc.get("load_hold") or {})
    lines += alerts_lines(doc.get("alerts") or {})
    lines.append(MARKER)
    kept = (
        path.read_text().split(MARKER, 1)[1] if path.exists() and MARKER in path.read_text() else ""
    )
    path.write_text("\n".join(lines) + kept.rstrip("\n") + "\n")


def _dataset_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per size of the light curve and cone data: its making, and the memory used so far."""
    cones = [r for r in rows if r["scenario"] == "cone_search" and "peak_rss_mb" in r]
    if not cones:
        return []
    lines = ["", "Light curve and cone search data: generated (streamed, bench/synth.py) and loaded "
             "once per size, then cached (up to 10^7 rows through runner.loader, above in one "
             "DuckDB `INSERT ... ORDER BY`). Peak RSS is the run's high-water mark after that "
             "size's cone search; it includes the generation and load when this run did them.", "",
             "| rows | generate s | load s | made in this run | peak RSS MB |", "|---|---|---|---|---|"]  # fmt: skip
    for r in cones:
        made = r.get("generate_seconds")
        lines.append(
            f"| {r['rows']:,} | {'-' if made is None else made} | {r['load_seconds']} | "
            f"{'no' if r.get('data_cached') else 'yes'} | {r['peak_rss_mb']} |"
        )
    return lines


def _trino_lines(trino: dict[str, Any]) -> list[str]:
    if not trino.get("scenarios"):
        return (
            ["", f"Trino: not run ({trino.get('skipped', 'use --trino-sizes')})."] if trino else []
        )
    lines = ["", f"## The same on Trino {TRINO_VERSION}", "",
             "Single node on the same machine, through `TrinoEngine` as `runner run --engine trino` "
             "does. Trino's floor, `SELECT 1` through the same path (planning, scheduling, HTTP "
             f"polling), was {_ms(trino['floor_select_1'])} ms. Below 10^6 rows the tables are in "
             "the memory catalog (no pruning there); from 10^6 in Iceberg on local disk (the same "
             "Parquet files, registered with `add_files`).", "",
             "| scenario | rows | catalog | answer rows | project ms | full scan ms | vs full scan |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in trino["scenarios"]:
        rows = f"{r['rows']:,}" + (f" ({r['bursts']:,} bursts)" if "bursts" in r else "")
        lines.append(
            f"| {r['scenario']} | {rows} | {r['catalog']} | {r['answer_rows']:,} | "
            f"{_ms(r['project'])} | {_ms(r.get('full_scan'))} | "
            f"{_ratio(r.get('full_scan'), r['project'])} |"
        )
    return lines


def _preview_lines(preview: list[dict[str, Any]]) -> list[str]:
    if not preview:
        return []
    lines = ["", "## `pulumi preview` with no changes, against the VMS stand-in", "",
             "Target: at most one VMS read per resource and no write. A plain preview diffs "
             "against the state and asks VMS nothing; `--refresh` reads every object first "
             "(what finds drift).", "",
             "| observatories | resources | preview ms | VMS calls | preview --refresh ms | VMS calls | reads per resource | up s |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for p in preview:
        plain, fresh = p["preview"], p["preview_refresh"]
        calls = [
            ", ".join(f"{m} {n}" for m, n in x["vms_calls"].items()) or "none"
            for x in (plain, fresh)
        ]
        lines.append(
            f"| {p['observatories']} | {p['resources']} | {_ms(plain['ms'])} | {calls[0]} | "
            f"{_ms(fresh['ms'])} | {calls[1]} | {fresh['reads_per_resource']} | {p['up_s']} |"
        )
    return lines


def _load_hold_lines(hold: dict[str, Any]) -> list[str]:
    """bench/load_hold.py: the commit's hold of the database file (docs/reliability.md)."""
    if not hold:
        return []
    return [
        "",
        f"Load beside queries (bench/load_hold.py): {hold['loaded']:,} rows loaded in "
        f"{hold['load_s']} s, the database file held {hold['hold_s']} s (the commit); "
        f"{hold['readers']} processes ran {hold['queries']:,} cone searches meanwhile, "
        f"{hold['reader_errors']} failed, the slowest took {hold['slowest_query_s']} s.",
    ]


def alerts_lines(alerts: dict[str, Any]) -> list[str]:
    """bench/alerts_bench.py: publish to queryable and emitted, per rate, with verdicts."""
    passes = [r for r in (alerts.get("rows") or {}, alerts.get("insights") or {}) if r]
    if not any(r.get("phases") for r in passes):
        reasons = "; ".join(r["skipped"] for r in passes if "skipped" in r)
        return ["", f"Alerts: not run ({reasons or 'use --alert-rates'})."] if alerts else []
    rows = alerts.get("rows") or {}
    first = next(r for r in passes if r.get("phases"))
    out = ["", "## Alerts: publish to queryable and emitted", "",
           "A real Kafka broker, `python -m runner replay` publishing synthetic Swift bursts "
           "(one BAT-GUANO notice each, distinct triggers) at each rate for "
           f"{first['phases'][0]['seconds']:g} s, the listener in the bench's process "
           f"(micro-batches of at most {first['batch_max_messages']} notices or "
           f"{first['batch_max_seconds']} s), warmed up by one notice. Latency from the publish "
           "time in each message's header to the batch's commit (*queryable*) and to the "
           "listener's callback for the notice (*emitted*): with *insight* yes, once the "
           "trigger's insight was made (runner/alerts/insight.py: cone search and pointings over "
           "the demo dataset loaded beside it); with no, the change alone. Throughput: notices "
           "written per second from the first publish to the last commit. Lost and doubled: "
           "distinct triggers in `swift.bursts` and rows of `alerts.notices` against notices "
           "sent (lost is `-` when the listener had not caught up: see the verdict). *Written* "
           "and *emitted*: notices queryable and emitted when the phase stopped waiting, "
           "at most 30 s after the publisher was done."]  # fmt: skip
    if rows.get("phases"):
        out[-1] += (
            f" Without insights: {rows['batches']:,} batches, the longest held the database "
            f"{rows['longest_hold_s'] * 1000:.0f} ms."
        )
    out += ["", "| notices/s | insight | sent | published/s | written | emitted | queryable p50 s | queryable p99 s | emitted p50 s | emitted p99 s | throughput /s | lost | doubled | target | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for run in passes:
        for p in run.get("phases", []):
            target = {100: "p99 <= 1 s", 1000: "keeps up, none lost or doubled"}.get(
                int(p["rate"]), "none lost or doubled"
            )
            lost = "-" if p["lost"] is None else p["lost"]
            out.append(
                f"| {p['rate']:,.0f} | {'yes' if run['insights'] else 'no'} | {p['sent']:,} | "
                f"{p['publish_rate']:,.1f} | {p['written']:,} | {p['emitted']:,} | "
                f"{p['queryable_p50_s']} | "
                f"{p['queryable_p99_s']} | {p['emitted_p50_s']} | {p['emitted_p99_s']} | "
                f"{p['throughput']:,.1f} | {lost} | {p['doubled']} | {target} | {p['verdict']} |"
            )
    return out
