"""``AlertTables``: where the listener keeps every notice and every message it refused.

Declared only when the stack names topics (``vastobs:alerts.topics``): a
schema ``alerts`` in the VAST database with the tables ``notices`` and
``quarantine`` (``queries/tables/alerts/``), each with its sorted projection
as every table has (infra/observatory.py). Triggers themselves go to each
observatory's ``triggers`` table, declared with the observatory.
"""

from __future__ import annotations

import pulumi

from infra.database import Database
from infra.observatory import sorted_projection
from infra.resources.schema import Schema, SchemaProps
from infra.resources.table import Table, TableProps
from vastobs.backends.target import Target
from vastobs.config import StackConfig
from vastobs.ddl import load_table

SCHEMA = "alerts"
TABLES = ("notices", "quarantine")


class AlertTables(pulumi.ComponentResource):
    def __init__(self, stack: StackConfig, database: Database, target: Target) -> None:
        super().__init__("vastobs:index:AlertTables", SCHEMA)
        schema = Schema(
            f"{SCHEMA}-schema",
            SchemaProps(database=database.bucket, name=SCHEMA, target=target),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[database.view]),
        )
        for name in TABLES:
            ddl = load_table(stack.project_dir, SCHEMA, name)
            table = Table(
                f"{SCHEMA}-{name}",
                TableProps(
                    database=database.bucket,
                    schema=SCHEMA,
                    name=name,
                    columns=ddl.vms_arrow_schema(),
                    target=target,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[schema]),
            )
            if ddl.sorted_by:
                sorted_projection(ddl, database, table, target, self)
        self.register_outputs({"schema": SCHEMA})
