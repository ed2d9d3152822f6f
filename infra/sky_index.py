"""``SkyIndex``: the table ``sky.points`` that keeps every observatory's points together,
and ``sky.matches``, the cross-match kept from them.

Declared only when the stack sets ``database.sky_index``: a schema ``sky`` in
the VAST database with the tables ``points`` (``queries/sky/points.sql``) and
``matches`` (``queries/sky/matches.sql``), each with its sorted projection, as
every table has (infra/observatory.py). The loader fills them
(vastobs/sky_index.py, runner/kept_matches.py); Pulumi only declares them.
"""

from __future__ import annotations

import pulumi

from infra.database import Database
from infra.observatory import sorted_projection
from infra.resources.schema import Schema, SchemaProps
from infra.resources.table import Table, TableProps
from vastobs.backends.target import Target
from vastobs.config import StackConfig
from vastobs.sky_index import SCHEMA, load_index


class SkyIndex(pulumi.ComponentResource):
    def __init__(self, stack: StackConfig, database: Database, target: Target) -> None:
        super().__init__("vastobs:index:SkyIndex", SCHEMA)
        index = load_index(stack.project_dir)
        schema = Schema(
            f"{SCHEMA}-schema",
            SchemaProps(database=database.bucket, name=SCHEMA, target=target),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[database.view]),
        )
        for ddl in index.tables:
            table = Table(
                f"{SCHEMA}-{ddl.name}",
                TableProps(
                    database=database.bucket,
                    schema=SCHEMA,
                    name=ddl.name,
                    columns=ddl.vms_arrow_schema(),
                    # Derived rows only (loads and rebuilds refill them): turning the
                    # index off may drop them.
                    allow_destroy_with_data=True,
                    target=target,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[schema]),
            )
            sorted_projection(ddl, database, table, target, self)
        self.register_outputs({"tables": [ddl.logical_name for ddl in index.tables]})
