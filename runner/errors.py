"""Runner errors; all derive from the shared :class:`VastobsError`."""

from __future__ import annotations

from vastobs.errors import VastobsError
from vastobs.sqlfile import SqlFileError

# A query file's header or body is malformed; carries ``path:line:col``.
QueryFileError = SqlFileError


class ParameterError(VastobsError):
    """A parameter is missing, unknown, or of the wrong type."""


class EngineError(VastobsError):
    """The engine failed a query; Trino failures carry the query id."""

    def __init__(self, engine: str, message: str, query_id: str | None = None) -> None:
        self.engine, self.query_id = engine, query_id
        suffix = f" (query id {query_id})" if query_id else ""
        super().__init__(f"{engine}: {message}{suffix}")
