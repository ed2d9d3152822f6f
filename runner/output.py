"""Results to people and machines: a table, CSV, JSON or Parquet, provenance always attached."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from runner.result import Result

FORMATS = ("table", "csv", "json", "parquet")


def console() -> Console:
    # Piped output (logs, CI) is not wrapped at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 200)


def write_result(result: Result, fmt: str, output: Path | None) -> None:
    provenance = result.provenance.as_dict()
    if fmt == "parquet":
        if output is None:
            raise ValueError("parquet needs --output FILE")
        meta = {b"vastobs.provenance": json.dumps(provenance).encode()}
        pq.write_table(result.table.replace_schema_metadata(meta), output)
        return
    text = render(result, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def render(result: Result, fmt: str) -> str:
    provenance = result.provenance.as_dict()
    if fmt == "json":
        rows = result.table.to_pylist()
        return json.dumps({"provenance": provenance, "rows": rows}, default=str, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.BytesIO()
        pacsv.write_csv(result.table, buffer)
        return f"# provenance: {json.dumps(provenance)}\n" + buffer.getvalue().decode()
    out = console()
    with out.capture() as captured:
        out.print(_rich_table(result.table, result.provenance.query))
        p = result.provenance
        out.print(
            f"[dim]{p.query} v{p.version} sha256:{p.sha256[:12]} on {p.engine}, "
            f"{result.table.num_rows} rows in {p.elapsed_seconds * 1000:.1f} ms, "
            f"params {provenance['params']}[/dim]"
        )
    return captured.get()


def _rich_table(table: pa.Table, title: str, limit: int = 50) -> Table:
    shown = Table(title=title)
    for name in table.column_names:
        shown.add_column(name, no_wrap=True)
    for row in table.slice(0, limit).to_pylist():
        shown.add_row(*(_cell(v) for v in row.values()))
    if table.num_rows > limit:
        shown.caption = (
            f"first {limit} of {table.num_rows} rows (use --format csv|json|parquet for all)"
        )
    return shown


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
