"""``Table``: a VAST DB table whose columns come from ``queries/tables/<obs>/<table>.sql``.

Adding a column updates in place (VMS ``/tables/add_columns/``). Dropping or
retyping one would lose data, so it is refused with an explanation unless the
observatory allows it, and then the table is replaced (dropped and recreated
empty). Refresh reads the live columns, so column drift shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from infra.resources.base import BaseProvider, Props, VastResource, create_adopting
from vastobs.backends.base import Record
from vastobs.errors import BackendError


def _types(columns: list[Record] | None) -> dict[str, str]:
    return {c["name"]: c["field"]["column_type"] for c in columns or []}


def destructive(old: list[Record] | None, new: list[Record] | None) -> list[str]:
    """Column changes that lose data: dropped or retyped columns, as sentences."""
    before, after = _types(old), _types(new)
    problems = [f"drops column {n} ({t})" for n, t in before.items() if n not in after]
    problems += [
        f"retypes column {n} from {t} to {after[n]}"
        for n, t in before.items()
        if n in after and after[n] != t
    ]
    return problems


class TableProvider(BaseProvider):
    replace_properties = ("database", "schema", "name")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        problems = destructive(olds.get("columns"), news.get("columns")) if olds else []
        if problems and not news.get("allow_column_changes"):
            reason = (
                f"table {news['schema']}.{news['name']}: the DDL change {'; '.join(problems)}, "
                "which would lose data. Restore the column, or set allow_column_changes: true "
                "to drop and recreate the table empty"
            )
            return CheckResult(news, [CheckFailure("columns", reason)])
        return CheckResult(news, [])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        if destructive(olds.get("columns"), news.get("columns")):
            result.replaces = sorted({*(result.replaces or []), "columns"})
            result.delete_before_replace = True
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        catalog = self.backend(props).catalog()
        key = (props["database"], props["schema"], props["name"])
        live = catalog.columns(*key)
        if live is None:
            create_adopting(
                lambda: catalog.create_table(*key, props["columns"]), lambda: catalog.columns(*key)
            )
        else:  # adopt, adding what the DDL has and the table lacks
            problems = destructive(live, props["columns"])
            if problems:
                name = f"{props['schema']}.{props['name']}"
                raise BackendError(f"table {name} exists and the DDL {'; '.join(problems)}")
            missing = [c for c in props["columns"] if c["name"] not in _types(live)]
            if missing:
                catalog.add_columns(*key, missing)
        return CreateResult(id_="/".join(key), outs={**props, "adopted": live is not None})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = (
            self.backend(props).catalog().columns(props["database"], props["schema"], props["name"])
        )
        if live is None:
            return ReadResult(id_="", outs={})
        inputs = {**props, "columns": live}
        inputs.pop("adopted", None)
        return ReadResult(
            id_=id_, outs={**inputs, "adopted": props.get("adopted", False)}, inputs=inputs
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        before = _types(olds.get("columns"))
        added = [c for c in news["columns"] if c["name"] not in before]
        if added:
            self.backend(news).catalog().add_columns(
                news["database"], news["schema"], news["name"], added
            )
        return UpdateResult(outs={**news, "adopted": olds.get("adopted", False)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.backend(props).catalog().delete_table(
            props["database"], props["schema"], props["name"]
        )


@dataclass(frozen=True, kw_only=True)
class TableProps(Props):
    database: str
    schema: str
    name: str
    columns: list[Record]
    allow_column_changes: bool = False
    allow_destroy_with_data: bool = False


class Table(VastResource, module="vast", name="Table"):
    provider_class = TableProvider
