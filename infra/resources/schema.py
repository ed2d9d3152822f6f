"""``Schema``: an observatory's schema in the VAST database (VMS ``/schemas/``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from infra.resources.base import BaseProvider, Props, VastResource, create_adopting


class SchemaProvider(BaseProvider):
    replace_properties = ("database", "name")

    def create(self, props: dict[str, Any]) -> CreateResult:
        catalog = self.backend(props).catalog()
        adopted = catalog.schema_exists(props["database"], props["name"])
        if not adopted:
            create_adopting(
                lambda: catalog.create_schema(props["database"], props["name"]),
                lambda: catalog.schema_exists(props["database"], props["name"]) or None,
            )
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


@dataclass(frozen=True, kw_only=True)
class SchemaProps(Props):
    database: str
    name: str


class Schema(VastResource, module="vast", name="Schema"):
    provider_class = SchemaProvider
