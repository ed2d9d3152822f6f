"""``Database``: the VAST database itself, a view with the DATABASE and S3 protocols.

Every observatory's schema lives in it; its bucket names the database in VMS
``/schemas/`` and ``/tables/`` calls; its quota caps what the tables use.
"""

from __future__ import annotations

import pulumi

from infra.resources.quota import Quota, QuotaProps
from infra.resources.view import View, ViewProps
from infra.resources.view_policy import ViewPolicy, ViewPolicyProps
from vastobs.backends.target import Target
from vastobs.config import StackConfig


class Database(pulumi.ComponentResource):
    def __init__(self, stack: StackConfig, target: Target) -> None:
        super().__init__("vastobs:index:Database", "database")
        cfg = stack.database
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = cfg.bucket
        self.policy = ViewPolicy(
            "database-policy",
            ViewPolicyProps(
                name=f"vastobs-{cfg.bucket}",
                flavor="S3_NATIVE",
                tenant=stack.vms.tenant,
                target=target,
            ),
            opts=child,
        )
        self.view = View(
            "database-view",
            ViewProps(
                name=cfg.bucket,
                path=cfg.path,
                protocols=["DATABASE", "S3"],
                policy_id=self.policy.vms_id,
                bucket=cfg.bucket,
                bucket_owner=stack.vms.user or "vastobs",
                tenant=stack.vms.tenant,
                target=target,
            ),
            opts=child,
        )
        self.quota = Quota(
            "database-quota",
            QuotaProps.limiting(
                cfg.path,
                cfg.quota,
                name=f"vastobs-{cfg.bucket}",
                tenant=stack.vms.tenant,
                target=target,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.view]),
        )
        self.register_outputs({"bucket": cfg.bucket, "path": cfg.path})
