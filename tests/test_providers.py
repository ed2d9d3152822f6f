"""Provider methods called directly: the partial diff and the local View lifecycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import BackendError
from infra.resources.view import ViewProvider


def _props(root: Path, **extra: object) -> dict:
    return {"path": "/swift/observations", "local_root": str(root), **extra}


def test_provider_code_change_alone_is_no_diff(tmp_path: Path) -> None:
    olds = {**_props(tmp_path), "__provider": "old-pickle", "directory": "/x"}
    news = {**_props(tmp_path), "__provider": "new-pickle"}
    assert ViewProvider().diff("id", olds, news).changes is False


def test_null_empty_and_absent_are_equal(tmp_path: Path) -> None:
    olds = {**_props(tmp_path), "protocols": None, "labels": {}}
    news = {**_props(tmp_path), "protocols": []}
    assert ViewProvider().diff("id", olds, news).changes is False


def test_path_change_updates_in_place_and_root_change_replaces(tmp_path: Path) -> None:
    provider = ViewProvider()
    moved = provider.diff("id", _props(tmp_path), {**_props(tmp_path), "path": "/swift/v2"})
    assert (moved.changes, moved.replaces) == (True, [])
    rooted = provider.diff("id", _props(tmp_path), _props(tmp_path / "elsewhere"))
    assert (rooted.changes, rooted.replaces) == (True, ["local_root"])


def test_view_lifecycle_and_deletion_safety(tmp_path: Path) -> None:
    provider = ViewProvider()
    created = provider.create(_props(tmp_path))
    directory = Path(created.outs["directory"])
    assert directory == tmp_path / "views" / "swift" / "observations"
    assert directory.is_dir()
    assert provider.read(created.id, created.outs).id == "/swift/observations"

    (directory / "burst.fits").write_bytes(b"SIMPLE")
    with pytest.raises(BackendError, match="allow_destroy_with_data"):
        provider.delete(created.id, created.outs)
    assert (directory / "burst.fits").exists()

    provider.delete(created.id, {**created.outs, "allow_destroy_with_data": True})
    assert not directory.exists()
    assert provider.read(created.id, created.outs).id == ""  # gone: refresh drops it
    provider.delete(created.id, created.outs)  # deleting what is gone succeeds
