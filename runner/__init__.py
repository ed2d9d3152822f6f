"""The analyst's side: run versioned Trino SQL files on Trino or embedded DuckDB.

Never imports pulumi: the runner reads infrastructure, it does not create it.
"""
