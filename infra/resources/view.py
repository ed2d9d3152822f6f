"""``View``: a path exposed over NFS/S3 (or as the VAST database).

A path change re-points the view in place (VMS patches ``path``); the data
stays in the old directory, which preview flags. A view whose directory holds
data is not deleted unless its observatory sets ``allow_destroy_with_data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra.resources.base import CollectionProvider, CollectionResource, Props, single_match
from vastobs.backends.base import Backend, Record
from vastobs.errors import BackendError


class ViewProvider(CollectionProvider):
    kind = "views"
    label = "view"
    set_properties = ("protocols",)
    # VMS cannot patch a view's tenant; everything else, path included, updates.
    replace_properties = ("tenant",)

    def find(self, backend: Backend, props: dict[str, Any]) -> Record | None:
        matches = [
            v
            for v in backend.collection(self.kind).list(path=props["path"])
            if v.get("path") == props["path"]
            and v.get("tenant_name", props.get("tenant")) == props.get("tenant")
        ]
        return single_match(matches, self.label, props["path"])

    def body(self, props: dict[str, Any]) -> Record:
        body: Record = {
            "path": props["path"],
            "name": props["name"],
            "protocols": list(props["protocols"]),
            "policy_id": int(props["policy_id"]),
            "create_dir": True,
        }
        if props.get("qos_policy_id"):
            body["qos_policy_id"] = int(props["qos_policy_id"])
        if props.get("bucket"):
            body["bucket"] = props["bucket"]
            body["bucket_owner"] = props.get("bucket_owner")
        return {k: v for k, v in body.items() if v is not None}

    def inputs_from(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "path": record["path"],
            "name": record.get("name"),
            "protocols": record.get("protocols") or [],
            "policy_id": record.get("policy_id"),
            "qos_policy_id": record.get("qos_policy_id"),
            "bucket": record.get("bucket") or None,
        }

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        backend = self.backend(props)
        collection = backend.collection(self.kind)
        record = collection.get(int(id_))
        if record is None:
            return
        if backend.view_holds_data(record) and not props.get("allow_destroy_with_data"):
            raise BackendError(
                f"view {record['path']} holds data; refusing to delete it. Move the data away, "
                "or set allow_destroy_with_data: true on its observatory"
            )
        collection.delete(int(id_))
        backend.remove_view_data(record)


@dataclass(frozen=True, kw_only=True)
class ViewProps(Props):
    name: str
    path: str
    protocols: list[str]
    policy_id: pulumi.Input[int]
    qos_policy_id: pulumi.Input[int] | None = None
    bucket: str | None = None
    bucket_owner: str | None = None
    tenant: str | None = None
    allow_destroy_with_data: bool = False


class View(CollectionResource, module="vast", name="View"):
    provider_class = ViewProvider
