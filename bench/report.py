"""docs/benchmarks.md from the results: one table, ratios computed in the same run."""

from __future__ import annotations

import json
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


ROOT = Path(__file__).resolve().parents[1]


def merge_section(name: str, section: dict[str, Any]) -> None:
    """One bench's section into bench/results.json, the others kept; docs/benchmarks.md
    regenerated from the whole (each bench's ``--report``)."""
    results = ROOT / "bench" / "results.json"
    doc = {**json.loads(results.read_text()), name: section}
    results.write_text(json.dumps(doc, indent=2) + "\n")
    write_report(doc, ROOT / "docs" / "benchmarks.md")


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
    lines += cli_lines(doc.get("cli") or {})
    lines += _trino_lines(doc.get("trino") or {})
    lines += _preview_lines(doc.get("preview") or [])
    lines += _load_hold_lines(doc.get("load_hold") or {})
    lines += alerts_lines(doc.get("alerts") or {})
    lines += load_bench_lines(doc.get("load_bench") or {})
    lines += peers_lines(doc.get("peers") or {})
    lines += versus_lines(doc.get("versus") or {})
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
             "once per size, then cached (through runner.loader, every check made; data cached "
             "before it streamed were loaded above 10^7 rows by one unchecked DuckDB `INSERT ... "
             "ORDER BY`). Peak RSS is the run's high-water mark after that "
             "size's cone search; it includes the generation and load when this run did them.", "",
             "| rows | generate s | load s | made in this run | peak RSS MB |", "|---|---|---|---|---|"]  # fmt: skip
    for r in cones:
        made = r.get("generate_seconds")
        lines.append(
            f"| {r['rows']:,} | {'-' if made is None else made} | {r['load_seconds']} | "
            f"{'no' if r.get('data_cached') else 'yes'} | {r['peak_rss_mb']} |"
        )
    return lines


def cli_lines(cli: dict[str, Any]) -> list[str]:
    """bench/cli_bench.py: each command end to end against the floor, with verdicts."""
    if not cli.get("commands"):
        return ["", f"CLI: not run ({cli.get('skipped', 'python -m bench.cli_bench')})."] if cli else []  # fmt: skip

    def seconds(t: dict[str, Any]) -> str:
        return f"{t['median_s']} ({t['min_s']}-{t['max_s']})"

    floor, mode = cli["floor"]["timing"], cli["verdict_mode"]
    other = next(m for m in floor if m != mode)
    missing = ", ".join(f"{s:,}" for s in cli.get("sizes_missing") or [])
    out = ["", "## The CLI end to end", "",
           "`python -m runner ...` as a user starts it (process start included) against the "
           f"floor of any Python tool on DuckDB, {cli['floor']['command']}, in the same "
           f"{cli['repeats']} interleaved rounds (one run of each per round, so a busy machine "
           "slows all alike; median (min-max) seconds), measured "
           f"{cli['date']}. A run reads the bench's points database of that size (the cases "
           "above) and writes CSV. Each twice, floor included: with Python's compiled "
           f"modules kept (*{mode}*, Python's default from a module's second import on; the "
           f"verdicts) and with none (*{other}*: each process compiles all it imports from "
           "source, as under PYTHONDONTWRITEBYTECODE=1 over a venv installed without "
           "bytecode). *Loads*: the heavy stacks the command imported "
           "(tests/test_cli_imports.py asserts them)."
           + (f" Not measured at {missing} rows: that data was not made." if missing else ""),
           "", f"| command | rows | s ({mode}) | x floor | s ({other}) | x floor | target | verdict | loads |",
           "|---|---|---|---|---|---|---|---|---|",
           f"| floor | - | {seconds(floor[mode])} | 1.00x | {seconds(floor[other])} | 1.00x | | | duckdb, numpy, pyarrow |"]  # fmt: skip
    for c in cli["commands"]:
        t, r = c["timing"], c["ratio"]
        rows = f"{c['rows']:,}" if c["rows"] else "-"
        out.append(
            f"| `{c['command']}` | {rows} | {seconds(t[mode])} | {r[mode]:.2f}x | "
            f"{seconds(t[other])} | {r[other]:.2f}x | "
            + (
                f"<= {c['target']}x | "
                if c["target"]
                else "none: the first command after an edit | "
            )
            + {"met": "met", "missed": "**missed**"}.get(c["verdict"], "-")
            + " | "
            f"{', '.join(c['loaded']) or 'none of them'} |"
        )
    return out


TRINO_TARGETS = {  # issue #18: (scenario, rows) -> (max x floor, min x full scan)
    ("light_curve", 10_000_000): (3.0, None),
    ("cone_search", 10_000_000): (3.0, None),
    ("light_curve", 100_000_000): (3.0, 20.0),
    ("cone_search", 100_000_000): (3.0, 20.0),
}


def _trino_verdict(r: dict[str, Any], floor: dict[str, Any]) -> tuple[str, str]:
    """The target of a Trino row and ``met`` or what missed, against the floor and the full
    scan measured on the same cluster in the same run."""
    target = TRINO_TARGETS.get((r["scenario"], r["rows"]))
    if target is None:
        return "", ""
    max_floor, min_full = target
    fast = r["project"]["median_ms"]
    missed = []
    if fast / floor["median_ms"] > max_floor:
        missed.append(f"{fast / floor['median_ms']:.1f}x floor")
    full = r.get("full_scan")
    if min_full and full and full["median_ms"] / fast < min_full:
        missed.append(f"{full['median_ms'] / fast:.1f}x full scan")
    described = f"<= {max_floor:.0f}x floor" + (
        f", >= {min_full:.0f}x full scan" if min_full else ""
    )
    return described, "met" if not missed else "**missed**: " + ", ".join(missed)


def _trino_lines(trino: dict[str, Any]) -> list[str]:
    runs = trino.get("runs") or []
    if not runs:
        return (
            ["", f"Trino: not run ({trino.get('skipped', 'python -m bench.trino_bench')})."]
            if trino
            else []
        )
    order = trino.get("partition_order", 2)
    index_order = trino.get("index_partition_order", order)
    lines = ["", f"## The same on Trino {TRINO_VERSION}", "",
             "A coordinator that schedules no tasks and 1, then 2, worker JVMs on this machine "
             "(bench/trino_bench.py; the same JVMs as `make trino TRINO_WORKERS=N`, full JIT), "
             "through `TrinoEngine` as `runner run --engine trino` does. The floor is `SELECT 1` "
             "through the same path on the same cluster (planning, scheduling, HTTP polling), "
             "timed in the same rounds as each selective query (one run of each per round, "
             "after the same warm-up: *floor ms*); x floor and the verdicts compare with it. "
             "The first row of each cluster is `SELECT 1` timed alone before anything else, "
             "while the JVMs' JIT is still cold; the rows without a floor of their own "
             "(follow-up, cross-match) compare with it. Below "
             f"{trino.get('memory_catalog_below', 1_000_000):,} rows the tables are in the memory "
             "catalog (no pruning); from there Iceberg tables in one warehouse on local disk, "
             f"partitioned on a coarse HEALPix parent cell (the sky index, which the cone and "
             f"light curve read, on order {index_order}, `truncate(hpx, {4 ** (14 - index_order):,})`; "
             f"the observatories' tables, which the joins read whole, on order {order}) and sorted "
             "by each DDL's `sorted_by`, written by Trino in Parquet row groups of "
             f"{trino.get('row_group', '128MB')} (an index partition's file is one row group, so "
             "one split, which Iceberg picks by the file's partition and hpx bounds), with each "
             "table's snapshots expired but the last. "
             "Full scan: the same query with its cone cover made the whole sky. The machine is "
             "shared with other jobs: timings are noisy, ratios are within one run.", "",
             "| workers | scenario | rows | catalog | answer rows | project ms | floor ms | "
             "x floor | full scan ms | vs full scan | target | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    reads = []
    for run in runs:
        first = run["floor_select_1"]
        lines.append(f"| {run['workers']} | `SELECT 1` alone, first | | | | {_ms(first)} | | 1x | | | | |")  # fmt: skip
        for r in run["scenarios"]:
            rows = f"{r['rows']:,}" + (f" ({r['bursts']:,} bursts)" if "bursts" in r else "")
            floor = r.get("floor") or first
            described, verdict = _trino_verdict(r, floor)
            lines.append(
                f"| {run['workers']} | {r['scenario']} | {rows} | {r['catalog']} | "
                f"{r['answer_rows']:,} | {_ms(r['project'])} | {_ms(r.get('floor'))} | "
                f"{r['project']['median_ms'] / floor['median_ms']:.1f}x | "
                f"{_ms(r.get('full_scan'))} | {_ratio(r.get('full_scan'), r['project'])} | "
                f"{described} | {verdict} |"
            )
            for scan in r.get("scans") or []:
                reads.append(
                    f"- {r['scenario']} at {r['rows']:,} rows on {run['workers']} worker(s): "
                    f"`{scan['table']}` read {scan['rows_read']:,} rows ({scan['bytes_read']}) "
                    f"in {scan['splits']} split(s) of the table's {scan['files_in_table']} files"
                )
    if reads:
        lines += ["", "What the cone search read (`EXPLAIN ANALYZE`, one run):", "", *reads]
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
        f"{hold['reader_errors']} failed, the slowest took {hold['slowest_query_s']} s."
        + (f" The first error: {hold['first_error']}" if hold.get("first_error") else ""),
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
           "trigger's insight was made (runner/alerts/insight.py: the trigger_context analytic, a "
           "batch of triggers a query, over the demo dataset loaded beside it); with no, the change alone. Throughput: notices "
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


PEER_TARGETS = {"cross_match": 5.0, "cone_search": 10.0}  # x faster than the fastest peer / LSDB
FLOOR_SLACK_MS = 2.0  # the cone may take at most this much over its same-path floor


def peers_lines(peers: dict[str, Any]) -> list[str]:
    """bench/peers.py: astropy and LSDB beside the project, answers compared, with verdicts."""
    if not peers.get("scenarios"):
        return ["", f"Peers: not run ({peers.get('skipped', 'use make bench without --no-peers')})."] if peers else []  # fmt: skip
    out = ["", "## Peers: astropy and LSDB on the same data", "",
           "The tools an astronomer would pick instead, in a venv of their own "
           "(bench/peers-requirements.txt, tools/setup-peers.sh) and a child process per tool "
           "and task (bench/peers_worker.py), on Parquet exported from the bench's DuckDB files, "
           "in the same run as the project's query, which is timed again here. *Read* is "
           "loading the Parquet into pandas; *set-up* is what the tool builds before it can "
           "query (SkyCoord arrays; LSDB's HEALPix partitions and margins), reported apart and "
           "not in *query ms*. astropy's cross-match builds its two KD-trees in each call "
           "(`storekdtree=False`), as the project's query groups its inputs in each run; its "
           "cone is `SkyCoord.separation` over arrays already in memory. The cone's *floor* is "
           "a query through the same runner path that reads one row group (the points of the "
           "cone centre's order-14 cell, from the table the cone reads: the sky index), timed "
           "in the same rounds as the project's cone (one run of each per round, 100 rounds "
           "after 10 warm-up ones). *Same answer*: the project's pairs (source, "
           "matched name) or rows (observatory, name, time) against the tool's, as multisets. "
           "*CPU ms*: the process's CPU time (every thread) per timed call; on a shared "
           "machine the wall time swings with other load, the CPU time far less. The verdicts "
           "use the wall time; the cone's gives the machine's 1-minute load average on each "
           "side of its rounds, since its margin over the floor grows with the processes "
           "competing for the cores.",
           "", "| scenario | rows | tool | read s | set-up s | query ms | CPU ms | peer / project | answer rows | same answer | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    verdicts = []
    for s in peers["scenarios"]:
        mine = s["project"]["timing"]
        rows = f"{s['rows']:,}" + (f" x {s['rows']:,}" if s["scenario"] == "cross_match" else "")
        out.append(f"| {s['scenario']} | {rows} | project | - | - | {_ms(mine)} | "
                   f"{s['project'].get('cpu_ms', '-')} | - | {s['project']['answer_rows']:,} | - | - |")  # fmt: skip
        if s.get("floor"):
            f = s["floor"]
            out.append(f"| {s['scenario']} | {rows} | same-path floor | - | - | {_ms(f['timing'])} | "
                       f"{f.get('cpu_ms', '-')} | - | {f['answer_rows']:,} | - | - |")  # fmt: skip
        for tool, p in s["peers"].items():
            a = p["agreement"]
            same = "yes" if a["same"] else f"**no**: {a['only_project']:,} only in the project, {a['only_peer']:,} only in {tool}"  # fmt: skip
            if p.get("capped"):
                same += f" ({p['capped']:,} rows at LSDB's neighbour cap)"
            out.append(
                f"| {s['scenario']} | {rows} | {tool} {p['version']} | {p['read_s']} | "
                f"{p['setup_s']} | {_ms(p['timing'])} | {p.get('cpu_ms', '-')} | "
                f"{p['timing']['median_ms'] / mine['median_ms']:.1f}x | "
                f"{p['answer_rows']:,} | {same} | {p['peak_rss_mb']} |"
            )
        verdicts.append(peer_verdict(s))
    return [*out, "", *verdicts]


def peer_verdict(s: dict[str, Any]) -> str:
    """Issue #20's peer targets: cross-match >= 5x the fastest peer; cone >= 10x LSDB and
    within FLOOR_SLACK_MS of its floor."""
    mine = s["project"]["timing"]["median_ms"]
    want = PEER_TARGETS[s["scenario"]]
    missed = []
    if s["scenario"] == "cross_match":
        tool, peer = min(s["peers"].items(), key=lambda kv: kv[1]["timing"]["median_ms"])
        ratio = peer["timing"]["median_ms"] / mine
        target = f">= {want:.0f}x the fastest peer ({tool}: {ratio:.1f}x)"
        if ratio < want:
            missed.append(f"{ratio:.1f}x {tool}")
    else:
        ratio = s["peers"]["lsdb"]["timing"]["median_ms"] / mine
        over = mine - s["floor"]["timing"]["median_ms"]
        margin = f"{over:+.1f} ms"
        load = s["floor"].get("load")  # a ms-scale margin grows with other processes' load
        if load:
            margin += (
                f"; load average {load['before']:g} to {load['after']:g} on {load['cores']} cores"
            )
            if max(load["before"], load["after"]) > load["cores"]:
                margin += ", busier than its cores"
        target = (f">= {want:.0f}x LSDB ({ratio:.1f}x) and within {FLOOR_SLACK_MS:g} ms of the "
                  f"floor ({margin})")  # fmt: skip
        if ratio < want:
            missed.append(f"{ratio:.1f}x LSDB")
        if over > FLOOR_SLACK_MS:
            missed.append(f"{over:.1f} ms over the floor")
    if not all(p["agreement"]["same"] for p in s["peers"].values()):
        missed.append("answers differ")
    verdict = "met" if not missed else "**missed**: " + ", ".join(missed)
    return f"- {s['scenario']} at {s['rows']:,} rows: target {target}: {verdict}."


def versus_lines(versus: dict[str, Any]) -> list[str]:
    """bench/versus.py: this tree against an earlier revision, back to back, with verdicts."""
    if not versus.get("rows"):
        return []
    limit = versus["limit"]
    how = (
        f"both trees' statements replayed in one process, alternating run by run ({versus['runs']} "
        "runs each after a warm-up, each tree on its own bench data; the children's medians, "
        f"{versus['rounds']} child processes per tree in alternating order, {versus['repeats']} "
        "runs each through `Engine.run`, are shown apart: on this machine whole processes run "
        "up to 40% slower than others of the same code, bench/versus.py)"
    )
    out = ["", f"## Against {versus['revision']}, back to back", "",
           f"The follow-up and cross-match of this tree against commit {versus['commit'][:12]} "
           f"(the last before table kinds), on this machine in one run (bench/versus.py): {how}. "
           "Medians, in ms; *CPU* is the process's time on every thread. Target (issue #16): at "
           f"most {limit:.2f}x the earlier wall time, with the same number of answer rows.", "",
           "| scenario | rows | answer rows (before / now) | before ms | now ms | now / before | "
           "CPU before ms | CPU now ms | CPU now / before | children now / before | verdict |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in versus["rows"]:
        answers = r["answer_rows"]
        missed = []
        if r["wall_ratio"] > limit:
            missed.append(f"{r['wall_ratio']:.3f}x")
        if answers["base"] != answers["this"]:
            missed.append("answer rows differ")
        verdict = "met" if not missed else "**missed**: " + ", ".join(missed)
        out.append(
            f"| {r['scenario']} | {r['rows']:,} | {answers['base']:,} / {answers['this']:,} | "
            f"{r['base']['wall_ms']:.1f} | {r['this']['wall_ms']:.1f} | {r['wall_ratio']:.2f}x | "
            f"{r['base']['cpu_ms']:.1f} | {r['this']['cpu_ms']:.1f} | {r['cpu_ratio']:.2f}x | "
            f"{r['children_wall_ratio']:.2f}x | {verdict} |"
        )
    return out


def load_bench_lines(load: dict[str, Any]) -> list[str]:
    """bench/load_bench.py: ``runner load`` beside the unchecked bulk insert, per size."""
    if not load.get("runs"):
        return ["", f"Loader: not run ({load.get('skipped', 'use --load-sizes')})."] if load else []
    t = load["targets"]
    out = ["", "## The loader at 10^6 to 10^8 rows", "",
           "One Parquet file of synthetic Swift measurements per size (bench/synth.py, sorted by "
           "(hpx, time) as the generator writes it) loaded three ways, each in a child process "
           "whose peak RSS is its own (its VmHWM: the rusage a parent reads counts the parent's "
           "memory too): *bulk*, the bench's unchecked `INSERT ... "
           "SELECT ... ORDER BY` from the file (DuckDB memory 4 GB), into a fresh database; "
           "*loader*, `python -m runner load swift.measurements FILE` into another, every check "
           "made (types, ranges, hpx, keys inside the input and against the table, quarantine, "
           "the raw copy kept); *again*, the same command once more, which must add nothing. "
           "Seconds are the run itself, timed in the child after its imports (the CLI's start-up "
           "is the CLI table's business); rows/s is rows over those seconds. Targets (issue "
           f"#20): peak RSS <= {t['max_rss_mb']:,} MB at every size; for the 10^8-row file, "
           f">= {t['min_rows_per_s']:,} rows/s and no slower than the bulk insert of the same "
           "file in the same run (smaller files are reported). The machine may be "
           "shared: compare within a row (bench/results.json keeps each run's wall time and "
           "the machine's load average when it ended).",
           "", "| rows | file MB | bulk s | bulk rows/s | bulk RSS MB | loader s | loader rows/s | loader RSS MB | again s | again adds | again RSS MB | verdicts |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in load["runs"]:
        if "failed" in r:
            out.append(f"| {r['rows']:,} | | | | | | | | | | | **failed**: {r['failed']} |")
            continue
        b, lo, v, a = r["bulk"], r["loader"], r["verdicts"], r["again"]
        again = f"{a['seconds']} | {a['added']:,} | {a['peak_rss_mb']:,}" if a else "- | - | -"
        verdicts = "; ".join(f"{k.replace('_', ' ')} {w}" for k, w in v.items())
        out.append(
            f"| {r['rows']:,} | {r['file_mb']:,} | {b['seconds']} | {b['rows_per_s']:,} | "
            f"{b['peak_rss_mb']:,} | {lo['seconds']} | {lo['rows_per_s']:,} | "
            f"{lo['peak_rss_mb']:,} | {again} | {verdicts} |"
        )
    return out
