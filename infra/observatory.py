"""``Observatory``: everything one block of stack config declares, as one component.

Storage (view policy, QoS policy from the access pattern, view, quota) and
the observatory's schema in the VAST database with a table per kind it lists
(the kind's columns, its own DDL file's if it has one, the config's extras:
vastobs/kinds.py), each with the sorted projection of its ``sorted_by``. A new
observatory is one more config block; no code, no DDL.
"""

from __future__ import annotations

import pulumi

from infra.database import Database
from infra.resources.projection import Projection, ProjectionProps
from infra.resources.qos_policy import QosPolicy, QosPolicyProps
from infra.resources.quota import Quota, QuotaProps
from infra.resources.schema import Schema, SchemaProps
from infra.resources.table import Table, TableProps
from infra.resources.view import View, ViewProps
from infra.resources.view_policy import ViewPolicy, ViewPolicyProps
from vastobs.backends.target import Target
from vastobs.config import ObservatoryConfig, StackConfig
from vastobs.ddl import TableDef
from vastobs.kinds import observatory_table


def policy_flavor(protocols: tuple[str, ...]) -> str:
    if set(protocols) <= {"NFS", "NFS4"}:
        return "NFS"
    if set(protocols) == {"S3"}:
        return "S3_NATIVE"
    return "MIXED_LAST_WINS"


def sorted_projection(
    ddl: TableDef, database: Database, table: Table, target: Target, parent: pulumi.Resource
) -> Projection:
    """The table's projection sorted by its DDL's ``sorted_by``. Never protected: it holds
    only derived data, and a change of it must not need the table's protection lifted."""
    return Projection(
        f"{ddl.observatory}-{ddl.name}-sorted",
        ProjectionProps.sorting(
            [c.name for c in ddl.columns],
            ddl.sorted_by,
            database=database.bucket,
            schema=ddl.observatory,
            table=ddl.name,
            target=target,
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[table]),
    )


class Observatory(pulumi.ComponentResource):
    def __init__(
        self, cfg: ObservatoryConfig, stack: StackConfig, database: Database, target: Target
    ) -> None:
        super().__init__("vastobs:index:Observatory", cfg.name)
        name, tenant = cfg.name, stack.vms.tenant
        child = pulumi.ResourceOptions(parent=self, protect=cfg.protect)
        self.policy = ViewPolicy(
            f"{name}-policy",
            ViewPolicyProps(
                name=f"vastobs-{name}",
                flavor=policy_flavor(cfg.protocols),
                tenant=tenant,
                target=target,
            ),
            opts=child,
        )
        self.qos = QosPolicy(
            f"{name}-qos",
            QosPolicyProps.for_access_pattern(
                cfg.access_pattern,
                name=f"vastobs-{name}-{cfg.access_pattern}",
                tenant=tenant,
                target=target,
            ),
            opts=child,
        )
        self.view = View(
            f"{name}-view",
            ViewProps(
                name=f"vastobs-{name}",
                path=cfg.path,
                protocols=list(cfg.protocols),
                policy_id=self.policy.vms_id,
                qos_policy_id=self.qos.vms_id,
                tenant=tenant,
                allow_destroy_with_data=cfg.allow_destroy_with_data,
                target=target,
            ),
            opts=child,
        )
        self.quota = Quota(
            f"{name}-quota",
            QuotaProps.limiting(
                cfg.path, cfg.quota, name=f"vastobs-{name}", tenant=tenant, target=target
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.view])
            ),
        )
        self.schema = Schema(
            f"{name}-schema",
            SchemaProps(database=database.bucket, name=name, target=target),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[database.view])
            ),
        )
        self.tables: list[Table] = []
        self.projections: list[Projection] = []
        for entry in cfg.kinds:
            ddl = observatory_table(stack.project_dir, name, entry)
            table = Table(
                f"{name}-{entry.table}",  # the resource name a table had before kinds
                TableProps(
                    database=database.bucket,
                    schema=name,
                    name=entry.table,
                    columns=ddl.vms_arrow_schema(),
                    allow_destroy_with_data=cfg.allow_destroy_with_data,
                    target=target,
                ),
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[self.schema])
                ),
            )
            self.tables.append(table)
            if ddl.sorted_by:
                self.projections.append(sorted_projection(ddl, database, table, target, self))
        self.register_outputs({"path": cfg.path, "view_id": self.view.vms_id})
