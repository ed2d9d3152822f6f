"""The project's one exception tree, shared by infra/ and runner/.

Only the edges catch :class:`VastobsError`: ``python -m runner`` (``runner/cli.py``),
the Pulumi program (``infra/__main__.py``) and ``python -m infra.preview_summary``.
Below them a catch is kept only where it recovers (the monitor's UNKNOWN, a
lint finding, a 404 that means "gone"); everything else raises with context and
lets it travel. Each message names what is wrong, so an edge prints it as one line.
"""

from __future__ import annotations


class VastobsError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(VastobsError):
    """A stack config value is missing or not allowed; names file, key and value."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}vastobs:{key}: {message}")


class BackendError(VastobsError):
    """A storage backend (VMS or local) refused or failed an operation."""


class CreateOutcomeUnknown(BackendError):
    """A create whose answer was lost (reset, timeout, 5xx): the object may exist.

    The caller looks it up by its natural key before sending it again; ``retryable``
    is False after a 500, which VMS does not document as transient.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None) -> None:
        self.retryable, self.retry_after = retryable, retry_after
        super().__init__(message)


class TargetMismatch(VastobsError):
    """The stack's state was made on another target than its config names.

    Raised by the providers before any backend call, so that a copied checkout
    or an edited address never acts on (nor deletes from) the other target.
    """

    def __init__(self, state: str, config: str) -> None:
        self.state, self.config = state, config
        super().__init__(
            f"the stack's state is on {state} but its config names {config}: refusing to act "
            "on either; to move the stack to the config's target run "
            "'VASTOBS_RETARGET=1 pulumi refresh --yes' then 'pulumi up' "
            "(docs/infrastructure.md, Targets and re-targeting)"
        )


class SqlFileError(VastobsError):
    """A query's or a DDL file's header or body is malformed; carries ``path:line:col``."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        self.path, self.line, self.col = path, line, col
        super().__init__(f"{path}:{line}:{col}: {message}")


class ParameterError(VastobsError):
    """A query parameter or a command-line option is missing, unknown, or not allowed."""


class EngineError(VastobsError):
    """The engine failed a query; Trino failures carry the query id."""

    def __init__(self, engine: str, message: str, query_id: str | None = None) -> None:
        self.engine, self.query_id = engine, query_id
        suffix = f" (query id {query_id})" if query_id else ""
        super().__init__(f"{engine}: {message}{suffix}")


class InputError(VastobsError):
    """An input file cannot be read at all (as opposed to rows that fail checks)."""


class TableMissing(VastobsError):
    """The sink lacks the table: Pulumi creates tables, the loader never does."""


class PreviewError(VastobsError):
    """The preview cannot be read or parsed, or the summary written; names the file."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
