"""``ViewPolicy``: who may reach a view, and over which protocol flavour."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from infra.resources.base import CollectionProvider
from vastobs.backends.base import Record
from vastobs.backends.target import Target


class ViewPolicyProvider(CollectionProvider):
    kind = "viewpolicies"
    label = "view policy"
    set_properties = ("nfs_read_write", "nfs_read_only", "s3_read_write")
    replace_properties = ("tenant",)

    def body(self, props: dict[str, Any]) -> Record:
        body = {"name": props["name"], "flavor": props["flavor"]}
        for hosts in self.set_properties:
            if props.get(hosts):
                body[hosts] = list(props[hosts])
        return body

    def inputs_from(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": record["name"],
            "flavor": record.get("flavor"),
            **{hosts: record.get(hosts) or [] for hosts in self.set_properties},
        }


class ViewPolicy(Resource, module="vast", name="ViewPolicy"):
    vms_id: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        name: str,
        flavor: str,
        target: Target,
        tenant: str | None = None,
        nfs_read_write: list[str] | None = None,
        nfs_read_only: list[str] | None = None,
        s3_read_write: list[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "flavor": flavor,
            "tenant": tenant,
            "nfs_read_write": nfs_read_write or [],
            "nfs_read_only": nfs_read_only or [],
            "s3_read_write": s3_read_write or [],
            "target": target,
            "vms_id": None,
            "adopted": None,
        }
        super().__init__(ViewPolicyProvider(), resource_name, props, opts)
