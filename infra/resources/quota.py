"""``Quota``: the hard and soft limit on a path; limits update in place."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from infra.resources.base import CollectionProvider, single_match
from vastobs.backends.base import Backend, Record
from vastobs.backends.target import Target


def grace_period(seconds: int | None) -> str | None:
    """VMS spells a grace period ``[DD] [HH:[MM:]]ss``, e.g. ``'7 00:00:00'``."""
    if not seconds:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} {clock}" if days else clock


class QuotaProvider(CollectionProvider):
    kind = "quotas"
    label = "quota"
    # VMS cannot patch a quota's path or tenant.
    replace_properties = ("path", "tenant")

    def find(self, backend: Backend, props: dict[str, Any]) -> Record | None:
        # The quota list has no path filter: list and match.
        matches = [
            q for q in backend.collection(self.kind).list() if q.get("path") == props["path"]
        ]
        return single_match(matches, self.label, props["path"])

    def body(self, props: dict[str, Any]) -> Record:
        body = {
            "name": props["name"],
            "path": props["path"],
            "hard_limit": int(props["hard_limit"]),
            "soft_limit": int(props["soft_limit"]) if props.get("soft_limit") else None,
            "grace_period": props.get("grace_period"),
        }
        return {k: v for k, v in body.items() if v is not None}

    def patch(self, props: dict[str, Any], changes: list[str]) -> Record:
        # The spec types PATCH limits as strings (POST takes integers): bytes, spelled out.
        return {
            k: str(v) if k in ("hard_limit", "soft_limit") else v
            for k, v in super().patch(props, changes).items()
        }

    def inputs_from(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": record["name"],
            "path": record["path"],
            "hard_limit": record.get("hard_limit") or None,
            "soft_limit": record.get("soft_limit") or None,
            "grace_period": record.get("grace_period") or None,
        }


class Quota(Resource, module="vast", name="Quota"):
    vms_id: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        name: str,
        path: str,
        hard_limit: int,
        target: Target,
        soft_limit: int | None = None,
        grace_seconds: int | None = None,
        tenant: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "path": path,
            "hard_limit": hard_limit,
            "soft_limit": soft_limit,
            "grace_period": grace_period(grace_seconds),
            "tenant": tenant,
            "target": target,
            "vms_id": None,
            "adopted": None,
        }
        super().__init__(QuotaProvider(), resource_name, props, opts)
