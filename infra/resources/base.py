"""The resources' shared machinery: typed props sent once as the property bag, a
partial diff, and adopt-on-create CRUD.

Pulumi pickles the provider into the hidden input ``__provider``; any edit of
provider code changes it (pulumi/pulumi#12401). Diffing only the declared
properties keeps ``pulumi preview --expect-no-changes`` quiet after a code
change that alters nothing real. Providers hold no client: each method builds
its backend from the ``target`` input and the credentials in its environment.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from infra.resources import guard
from vastobs.backends.base import Backend, Record
from vastobs.backends.retry import Retries
from vastobs.backends.target import Target, backend_for
from vastobs.errors import BackendError, CreateOutcomeUnknown, VastobsError

BACKOFF_SECONDS = 0.5  # before sending a create again that VMS did not make
T = TypeVar("T")

# Properties that are not desired state: pickled provider code, where to
# connect, and what the provider reports back (the VMS id, whether it adopted).
NOT_STATE = frozenset({"__provider", "target", "vms_id", "adopted"})


@dataclass(frozen=True, kw_only=True)
class Props:
    """A resource's inputs, one typed field each; ``target`` says where its objects live."""

    target: Target

    def inputs(self) -> dict[str, Any]:
        """The fields by name, shallow (``dataclasses.asdict`` would deep-copy Outputs)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class VastResource(Resource):
    """A dynamic resource whose inputs are one props object; subclasses name the provider."""

    provider_class: ClassVar[type[BaseProvider]]
    # What the provider reports back, sent as inputs of None so that Pulumi returns them.
    reported: ClassVar[tuple[str, ...]] = ("adopted",)

    def __init__(
        self, resource_name: str, props: Props, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.provider_class(), resource_name, self.inputs(props), opts)

    @classmethod
    def inputs(cls, props: Props) -> dict[str, Any]:
        """The property bag Pulumi receives (the provider's pickle is added by Pulumi)."""
        return {**props.inputs(), **dict.fromkeys(cls.reported)}


class CollectionResource(VastResource):
    """A VMS object: its provider also reports the VMS id."""

    vms_id: pulumi.Output[int]
    reported = ("vms_id", "adopted")


class BaseProvider(ResourceProvider):
    """Subclasses name the properties that replace; everything else updates."""

    replace_properties: ClassVar[tuple[str, ...]] = ()
    # List-valued properties whose order means nothing (protocols, host lists).
    set_properties: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard.install(cls)  # diff, read, update, delete check the target first

    def configure(self, req: ConfigureRequest) -> None:
        """Runs in the provider process only; what it keeps is never pickled (see guard)."""
        guard.remember(req.config)

    def backend(self, props: dict[str, Any]) -> Backend:
        return backend_for(props["target"])

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        keys = set(news) - NOT_STATE
        return sorted(k for k in keys if self._norm(k, olds.get(k)) != self._norm(k, news.get(k)))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = self.changed(olds, news)
        replaces = [k for k in changes if k in self.replace_properties]
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=[k for k in news if k not in changes and k not in NOT_STATE],
            delete_before_replace=bool(replaces),
        )

    def _norm(self, key: str, value: Any) -> Any:
        value = normalise(value)
        if key in self.set_properties and isinstance(value, list):
            return sorted(value, key=repr)
        return value


guard.install(BaseProvider)  # its own diff (subclasses are guarded as they are defined)


def normalise(value: Any) -> Any:
    """Absent, null and empty compare equal (the VAST Terraform provider's issue #31)."""
    if value in (None, [], {}, ""):
        return None
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if normalise(v) is not None}
    return value


class CollectionProvider(BaseProvider):
    """CRUD over one VMS collection, adopting a matching existing object on create.

    Subclasses say how inputs become a VMS body (``body``), how a live record
    reads back as inputs (``inputs_from``, so refresh shows drift), and how an
    existing object is found (``find``).
    """

    kind: ClassVar[str]
    label: ClassVar[str]  # for messages, e.g. 'view'

    def body(self, props: dict[str, Any]) -> Record:
        raise NotImplementedError

    def inputs_from(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def find(self, backend: Backend, props: dict[str, Any]) -> Record | None:
        # Not every VMS list takes a name filter (``/qospolicies/`` does not): match here.
        listed = backend.collection(self.kind).list(name=props["name"])
        matches = [r for r in listed if r.get("name") == props["name"]]
        return single_match(matches, self.label, props["name"])

    def outs(self, record: Record, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "vms_id": record["id"]}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """For a resource new to the stack, say ahead when create will adopt an existing object.

        A read-only lookup; when it cannot be made (no credentials yet), preview says nothing.
        """
        if not olds:
            try:
                existing = self.find(self.backend(news), news)
            except VastobsError:
                existing = None
            if existing is not None:
                key = news.get("path") or news.get("name")
                warn(f"{self.label} {key} already exists (VMS id {existing['id']}): "
                     "up will adopt it and patch what differs")  # fmt: skip
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        backend = self.backend(props)
        collection = backend.collection(self.kind)
        existing = self.find(backend, props)
        if existing is None:
            # Found after a lost answer, the object is the one this create made: not adopted.
            record, _found = create_adopting(
                lambda: collection.create(self.body(props)), lambda: self.find(backend, props)
            )
            return CreateResult(
                id_=str(record["id"]), outs={**self.outs(record, props), "adopted": False}
            )
        # Adopt: take over the object and bring it to the declared state.
        current = {**props, **self.inputs_from(existing, props)}
        patch = self.patch(props, self.changed(current, props))
        if patch:
            existing = collection.update(existing["id"], patch)
        return CreateResult(
            id_=str(existing["id"]), outs={**self.outs(existing, props), "adopted": True}
        )

    def patch(self, props: dict[str, Any], changes: list[str]) -> Record:
        body = self.body(props)
        fields = {f for key in changes for f in self.fields_of(key)}
        return {k: v for k, v in body.items() if k in fields}

    def fields_of(self, key: str) -> tuple[str, ...]:
        """The VMS body fields an input property maps to (default: the same name)."""
        return (key,)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        backend = self.backend(props)
        if guard.retargeting():  # ids differ between targets: find the object by its natural key
            record = self.find(backend, props)
        else:
            record = backend.collection(self.kind).get(int(id_))
        if record is None:
            return ReadResult(id_="", outs={})  # deleted out of band: refresh drops it
        inputs = {**props, **self.inputs_from(record, props)}
        inputs.pop("vms_id", None)
        inputs.pop("adopted", None)
        return ReadResult(
            id_=str(record["id"]),
            outs={**self.outs(record, inputs), "adopted": props.get("adopted", False)},
            inputs=inputs,
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changes = self.changed(olds, news)
        collection = self.backend(news).collection(self.kind)
        record = collection.get(int(id_))
        if record is None:
            raise BackendError(
                f"{self.label} {news.get('name') or news.get('path')}: gone (run pulumi refresh)"
            )
        patch = self.patch(news, changes)
        if patch:  # e.g. allow_destroy_with_data changes state only
            record = collection.update(int(id_), patch)
        return UpdateResult(outs={**self.outs(record, news), "adopted": olds.get("adopted", False)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        collection = self.backend(props).collection(self.kind)
        if collection.get(int(id_)) is not None:
            collection.delete(int(id_))


def create_adopting(post: Callable[[], T], find: Callable[[], T | None]) -> tuple[T, bool]:
    """``post()``; when its answer is lost, ``find()`` by the natural key before trying again.

    Returns the object and whether it was found rather than answered: a create
    whose answer was lost may have happened, and sending it again would make a
    duplicate (or a refusal). When the lookup finds nothing, a transient failure
    is sent again within the retry policy; a 500, which VMS does not document as
    transient, once only: what the next ``pulumi up`` would do (look up, then
    create), so a persistent 500 costs one request and a passing one no rerun.
    """
    retries = Retries(BACKOFF_SECONDS)
    resent_after_500 = False
    while True:
        try:
            return post(), False
        except CreateOutcomeUnknown as lost:
            found = find()
            if found is not None:
                return found, True
            if lost.retryable:
                if not retries.wait(lost.retry_after):
                    raise
            elif resent_after_500 or not retries.wait():
                raise
            else:
                resent_after_500 = True


def warn(message: str) -> None:
    """The engine shows a provider's stderr under Diagnostics."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def single_match(matches: list[Record], label: str, key: str) -> Record | None:
    if len(matches) > 1:
        ids = ", ".join(str(m["id"]) for m in matches)
        raise BackendError(
            f"{label} {key}: {len(matches)} existing objects match (ids {ids}); cannot adopt"
        )
    return matches[0] if matches else None
