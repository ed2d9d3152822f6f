"""``Projection``: a table's sorted projection, the VAST DB layout of its DDL's ``sorted_by``.

A projection holds a copy of the table's rows kept in the order of its sorted
columns (VMS ``/projections/``), so that the VAST DB connector, with
``enable_sorted_projections``, reads a cone's few sky cells instead of the whole
table. It is a resource of its own beside ``Table``: it holds only derived data,
so it is deleted with no data check and a change of it never touches the table.

VMS can only rename a projection, so any change of its columns replaces it. Its
name follows the sorted columns (``by_hpx_trigger_time``): a changed
``sorted_by`` creates the new projection before the old one is deleted, and the
table is never without one; a change of the other columns alone (a column added
to the table) keeps the name, so the old one goes first. Locally the same
declaration is recorded beside the table: DuckDB keeps one order, the one the
loader writes (the DDL's ``sorted_by``).
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

from infra.resources.base import BaseProvider, Props, VastResource, create_adopting, warn
from vastobs.backends.base import Catalog, Record
from vastobs.errors import BackendError, VastobsError

# Where a projection lives: a change of any of these means another VMS object.
PLACE = ("database", "schema", "table", "name")
COLUMNS = ("sorted_columns", "unsorted_columns")


def projection_name(sorted_columns: tuple[str, ...] | list[str]) -> str:
    """The VMS name of the projection sorted by ``sorted_columns``."""
    return "by_" + "_".join(sorted_columns)


def _label(props: dict[str, Any]) -> str:
    return f"projection {props['name']} of {props['schema']}.{props['table']}"


def mismatch(live: Record, props: dict[str, Any]) -> list[str]:
    """How an existing projection differs from the declaration, as phrases."""
    problems = []
    if list(live["sorted_columns"]) != list(props["sorted_columns"]):
        problems.append(f"is sorted by {live['sorted_columns']}, not {props['sorted_columns']}")
    if set(live["unsorted_columns"]) != set(props.get("unsorted_columns") or []):
        problems.append(f"holds the other columns {sorted(live['unsorted_columns'])}")
    return problems


class ProjectionProvider(BaseProvider):
    replace_properties = (*PLACE, *COLUMNS)
    set_properties = ("unsorted_columns",)  # VMS lists them in no promised order

    def _key(self, props: dict[str, Any]) -> tuple[str, str, str, str]:
        return (props["database"], props["schema"], props["table"], props["name"])

    def _catalog(self, props: dict[str, Any]) -> Catalog:
        return self.backend(props).catalog()

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        sorted_columns = list(news.get("sorted_columns") or [])
        both = set(sorted_columns) & set(news.get("unsorted_columns") or [])
        if not sorted_columns:
            reason = f"table {news['schema']}.{news['table']}: a projection needs sorted columns"
            return CheckResult(news, [CheckFailure("sorted_columns", reason)])
        if both:
            reason = f"{_label(news)}: {sorted(both)} are both sorted and unsorted columns"
            return CheckResult(news, [CheckFailure("unsorted_columns", reason)])
        if not olds:
            self._say_what_create_finds(news)
        return CheckResult(news, [])

    def _say_what_create_finds(self, news: dict[str, Any]) -> None:
        """A read-only lookup; when it cannot be made (no credentials yet), nothing is said."""
        try:
            live = self._catalog(news).projection(*self._key(news))
        except VastobsError:
            return
        if live is None:
            return
        problems = mismatch(live, news)
        if problems:
            warn(f"{_label(news)} already exists and {'; '.join(problems)}: up will refuse it")
        else:
            warn(f"{_label(news)} already exists: up will adopt it")

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        # A new name can live beside the old one: create it first, then delete the old.
        result.delete_before_replace = bool(result.replaces) and not (
            set(result.replaces or []) & set(PLACE)
        )
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        catalog, key = self._catalog(props), self._key(props)
        live = catalog.projection(*key)
        if live is None:
            create_adopting(
                lambda: catalog.create_projection(
                    *key, list(props["sorted_columns"]), list(props.get("unsorted_columns") or [])
                ),
                lambda: catalog.projection(*key),
            )
        else:
            problems = mismatch(live, props)
            if problems:
                raise BackendError(
                    f"{_label(props)} exists and {'; '.join(problems)}: it holds only derived "
                    "data, so delete it (VMS /projections/delete/) and run up again"
                )
        return CreateResult(id_="/".join(key), outs={**props, "adopted": live is not None})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self._catalog(props).projection(*self._key(props))
        if live is None:
            return ReadResult(id_="", outs={})  # deleted out of band: refresh drops it
        declared = list(props.get("sorted_columns") or [])
        sorted_columns = live["sorted_columns"]
        if set(sorted_columns) == set(declared):
            # VMS marks a column sorted but gives no position: keep the declared order.
            sorted_columns = declared
        inputs = {**props, "sorted_columns": sorted_columns,
                  "unsorted_columns": live["unsorted_columns"]}  # fmt: skip
        inputs.pop("adopted", None)
        return ReadResult(
            id_=id_, outs={**inputs, "adopted": props.get("adopted", False)}, inputs=inputs
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only what is not the projection changes in place (every column change replaces)."""
        return UpdateResult(outs={**news, "adopted": olds.get("adopted", False)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """No data check: a projection is rebuilt from its table. Gone counts as done."""
        self._catalog(props).delete_projection(*self._key(props))


@dataclass(frozen=True, kw_only=True)
class ProjectionProps(Props):
    database: str
    schema: str
    table: str
    name: str
    sorted_columns: list[str]
    unsorted_columns: list[str]

    @classmethod
    def sorting(
        cls, columns: list[str], sorted_by: tuple[str, ...], **place: Any
    ) -> ProjectionProps:
        """The projection of a table with ``columns`` sorted by ``sorted_by``: every other
        column rides along unsorted, so a query reading any of them can use it."""
        return cls(
            name=projection_name(sorted_by),
            sorted_columns=list(sorted_by),
            unsorted_columns=[c for c in columns if c not in sorted_by],
            **place,
        )


class Projection(VastResource, module="vast", name="Projection"):
    provider_class = ProjectionProvider
