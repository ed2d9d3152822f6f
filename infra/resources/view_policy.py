"""``ViewPolicy``: who may reach a view, and over which protocol flavour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.resources.base import CollectionProvider, CollectionResource, Props
from vastobs.backends.base import Record


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


@dataclass(frozen=True, kw_only=True)
class ViewPolicyProps(Props):
    name: str
    flavor: str
    tenant: str | None = None
    nfs_read_write: list[str] = field(default_factory=list)
    nfs_read_only: list[str] = field(default_factory=list)
    s3_read_write: list[str] = field(default_factory=list)


class ViewPolicy(CollectionResource, module="vast", name="ViewPolicy"):
    provider_class = ViewPolicyProvider
