"""Loading observation files into the tables Pulumi created.

``load()`` reads Parquet, CSV or the Swift GRB table's text format, checks
every row against the table's DDL, quarantines what fails with a reason,
and appends only rows whose natural key is new (loading a file twice adds
nothing). It refuses a table that does not exist: Pulumi creates tables.
"""

from runner.loader.load import LoadSummary, load

__all__ = ["LoadSummary", "load"]
