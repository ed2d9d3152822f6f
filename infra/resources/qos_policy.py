"""``QosPolicy``: the performance an access pattern gets (docs/infrastructure.md).

| access pattern | why | policy |
|---|---|---|
| real_time | burst alerts land within seconds | gold, guaranteed minimum IOPS and bandwidth |
| deep_analysis | long scans for follow-up science | high bandwidth ceiling, modest guarantee |
| archive | rarely read, bulk written | capped bandwidth |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.resources.base import CollectionProvider, CollectionResource, Props
from vastobs.backends.base import Record
from vastobs.backends.target import Target

ACCESS_PATTERN_QOS: dict[str, dict[str, Any]] = {
    "real_time": {
        "is_gold": True,
        "limit_by": "BW_IOPS",
        "static_limits": {
            "min_reads_iops": 20000,
            "min_writes_iops": 20000,
            "min_reads_bw_mbps": 500,
            "min_writes_bw_mbps": 500,
        },
    },
    "deep_analysis": {
        "is_gold": False,
        "limit_by": "BW",
        "static_limits": {
            "max_reads_bw_mbps": 20000,
            "max_writes_bw_mbps": 5000,
            "min_reads_bw_mbps": 1000,
        },
    },
    "archive": {
        "is_gold": False,
        "limit_by": "BW",
        "static_limits": {"max_reads_bw_mbps": 1000, "max_writes_bw_mbps": 1000},
    },
}


class QosPolicyProvider(CollectionProvider):
    kind = "qospolicies"
    label = "QoS policy"
    replace_properties = ("name", "tenant")  # VMS cannot rename a QoS policy (PATCH has no name)

    def body(self, props: dict[str, Any]) -> Record:
        return {
            "name": props["name"],
            "mode": "STATIC",
            "policy_type": "VIEW",
            "is_gold": bool(props["is_gold"]),
            "limit_by": props["limit_by"],
            # Pulumi hands numbers over as floats; VMS takes integers only.
            "static_limits": {k: int(v) for k, v in props["static_limits"].items()},
        }

    def fields_of(self, key: str) -> tuple[str, ...]:
        return (key,) if key != "static_limits" else ("static_limits", "limit_by")

    def inputs_from(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        live = record.get("static_limits") or {}
        return {
            "name": record["name"],
            "is_gold": bool(record.get("is_gold")),
            "limit_by": record.get("limit_by"),
            # Only the limits we declare: VMS echoes every limit, unset ones as 0.
            "static_limits": {k: live.get(k) for k in props.get("static_limits") or {}},
        }


@dataclass(frozen=True, kw_only=True)
class QosPolicyProps(Props):
    name: str
    tenant: str | None = None
    is_gold: bool
    limit_by: str
    static_limits: dict[str, int]

    @classmethod
    def for_access_pattern(
        cls, access_pattern: str, *, name: str, tenant: str | None, target: Target
    ) -> QosPolicyProps:
        """The profile ``ACCESS_PATTERN_QOS`` gives the pattern; the pattern itself is not sent."""
        return cls(name=name, tenant=tenant, target=target, **ACCESS_PATTERN_QOS[access_pattern])


class QosPolicy(CollectionResource, module="vast", name="QosPolicy"):
    provider_class = QosPolicyProvider
