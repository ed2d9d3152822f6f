"""``Quota``: the hard and soft limit on a path; limits update in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.resources.base import CollectionProvider, CollectionResource, Props, single_match
from vastobs.backends.base import Backend, Record
from vastobs.backends.target import Target
from vastobs.config import QuotaConfig


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


@dataclass(frozen=True, kw_only=True)
class QuotaProps(Props):
    name: str
    path: str
    hard_limit: int
    soft_limit: int | None = None
    grace_period: str | None = None  # as VMS spells it (grace_period())
    tenant: str | None = None

    @classmethod
    def limiting(
        cls, path: str, quota: QuotaConfig, *, name: str, tenant: str | None, target: Target
    ) -> QuotaProps:
        """The declared ``quota`` on ``path``."""
        return cls(
            name=name,
            path=path,
            hard_limit=quota.hard,
            soft_limit=quota.soft,
            grace_period=grace_period(quota.grace_seconds),
            tenant=tenant,
            target=target,
        )


class Quota(CollectionResource, module="vast", name="Quota"):
    provider_class = QuotaProvider
