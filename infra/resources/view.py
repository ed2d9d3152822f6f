"""``View``: a VAST view (a path exposed over NFS/S3/...), one per observatory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from infra.backends.local import LocalViews
from infra.resources.base import BaseProvider


class ViewProvider(BaseProvider):
    """Maps the lifecycle onto the backend; holds no client (it is pickled)."""

    replace_properties = ("local_root",)
    output_properties = ("directory",)

    def create(self, props: dict[str, Any]) -> CreateResult:
        view = _views(props).create(props["path"])
        return CreateResult(id_=props["path"], outs={**props, "directory": str(view.directory)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        view = _views(props).get(props["path"])
        if view is None:
            return ReadResult(id_="", outs={})  # gone out of band: refresh drops it
        return ReadResult(id_=id_, outs={**props, "directory": str(view.directory)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        view = _views(news).create(news["path"])
        return UpdateResult(outs={**news, "directory": str(view.directory)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _views(props).delete(props["path"], allow_data=bool(props.get("allow_destroy_with_data")))


def _views(props: dict[str, Any]) -> LocalViews:
    return LocalViews(Path(props["local_root"]))


class View(Resource, module="vast", name="View"):
    """A view at ``path``; deleting one that holds data needs an explicit opt-in."""

    directory: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        path: pulumi.Input[str],
        local_root: pulumi.Input[str],
        allow_destroy_with_data: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "path": path,
            "local_root": local_root,
            "allow_destroy_with_data": allow_destroy_with_data,
            "directory": None,
        }
        super().__init__(ViewProvider(), name, props, opts)
