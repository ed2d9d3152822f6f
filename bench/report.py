"""docs/benchmarks.md from the results: one table, ratios computed in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    ("light_curve", 10_000_000): "<= 10 ms, >= 100x full scan",
    ("cone_search", 10_000_000): "<= 10 ms, >= 100x full scan",
    ("burst_followup", 10_000_000): "<= 500 ms (10^5 x 10^7)",
    ("cross_match", 1_000_000): "<= 2 s (10^6 x 10^6)",
}


def _ms(t: dict[str, Any] | None) -> str:
    if not t:
        return "-"
    bound = ">= " if t.get("lower_bound") else ""
    return f"{bound}{t['median_ms']:.1f} ({t['p10_ms']:.1f}-{t['p90_ms']:.1f})"


def _ratio(slow: dict[str, Any] | None, fast: dict[str, Any]) -> str:
    if not slow:
        return "-"
    bound = ">= " if slow.get("lower_bound") else ""
    return f"{bound}{slow['median_ms'] / max(fast['median_ms'], 1e-6):.0f}x"


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
        "the same query with its HEALPix range opened to the whole sky, same engine and "
        "session; *naive* reads the Parquet into pandas and correlates in Python, as the seed "
        "did (`>=`: stopped at the time budget, a lower bound). *CLI* is `python -m runner run` "
        "end to end, process start included. Data are synthetic, uniform on the sky, sorted by "
        "(hpx, time) as the loader leaves them (bench/synth.py).",
        "",
        "| scenario | rows | answer rows | project ms | full scan ms | vs full scan | naive ms | vs naive | CLI s | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["scenarios"]:
        target = TARGETS.get((r["scenario"], r["rows"]), "")
        rows = f"{r['rows']:,}" + (f" ({r['bursts']:,} bursts)" if "bursts" in r else "")
        lines.append(
            f"| {r['scenario']} | {rows} | {r['answer_rows']:,} | {_ms(r['project'])} | "
            f"{_ms(r.get('full_scan'))} | {_ratio(r.get('full_scan'), r['project'])} | "
            f"{_ms(r['naive'])} | {_ratio(r['naive'], r['project'])} | {r['cli_seconds']} | {target} |"
        )
    if doc.get("preview"):
        lines += ["", "## pulumi preview with no changes, against the VMS stand-in", "",
                  "| observatories | resources | seconds | VMS calls by method |", "|---|---|---|---|"]  # fmt: skip
        for p in doc["preview"]:
            calls = ", ".join(f"{m} {n}" for m, n in sorted(p["calls"].items())) or "none"
            lines.append(f"| {p['observatories']} | {p['resources']} | {p['seconds']} | {calls} |")
    path.write_text("\n".join(lines) + "\n")
