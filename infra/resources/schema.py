"""``Schema``: an observatory's schema in the VAST database (VMS ``/schemas/``)."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from infra.resources.base import BaseProvider
from vastobs.backends.target import Target


class SchemaProvider(BaseProvider):
    replace_properties = ("database", "name")

    def create(self, props: dict[str, Any]) -> CreateResult:
        catalog = self.backend(props).catalog()
        adopted = catalog.schema_exists(props["database"], props["name"])
        if not adopted:
            catalog.create_schema(props["database"], props["name"])
        # VMS returns no id for schemas: the natural key is the id.
        return CreateResult(
            id_=f"{props['database']}/{props['name']}", outs={**props, "adopted": adopted}
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not self.backend(props).catalog().schema_exists(props["database"], props["name"]):
            return ReadResult(id_="", outs={})
        return ReadResult(
            id_=id_, outs=props, inputs={k: v for k, v in props.items() if k != "adopted"}
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, "adopted": olds.get("adopted", False)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        catalog = self.backend(props).catalog()
        if catalog.schema_exists(props["database"], props["name"]):
            catalog.delete_schema(props["database"], props["name"])


class Schema(Resource, module="vast", name="Schema"):
    def __init__(
        self,
        resource_name: str,
        *,
        database: str,
        name: str,
        target: Target,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"database": database, "name": name, "target": target, "adopted": None}
        super().__init__(SchemaProvider(), resource_name, props, opts)
