"""The official VMS OpenAPI spec, as the stand-in's referee.

Every request the project sends and every answer the stand-in gives is checked
against ``vms-openapi-5.3.0.json``: path and method defined, query parameters
typed and required ones present, bodies valid against the operation's schema
with no field the schema does not know. So the stand-in cannot drift into
canned answers, and the project cannot send what a real VMS would reject.

The spec is read from ``../shared/reference`` (or ``$VASTOBS_VMS_SPEC``), never
copied into the project.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC_NAME = "vms-openapi-5.3.0.json"
ROOT = Path(__file__).resolve().parents[1]


def spec_path() -> Path | None:
    """``$VASTOBS_VMS_SPEC``, else ``shared/reference/`` beside the checkout or an ancestor."""
    if os.environ.get("VASTOBS_VMS_SPEC"):
        return Path(os.environ["VASTOBS_VMS_SPEC"])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "reference" / SPEC_NAME
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Operation:
    template: str  # e.g. '/views/{id}/'
    method: str  # 'get', 'post', ...
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template}"


class Spec:
    def __init__(self, path: Path) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text())
        self.repairs = _repair(self.doc)
        self._routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", r"(?P<id>[^/]+)", t) + "$"), t)
            for t in self.doc["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[Operation, str | None] | None:
        """The operation for ``path`` (relative to ``/api/latest``), and its ``{id}``."""
        for pattern, template in self._routes:
            found = pattern.match(path)
            op = self.doc["paths"][template].get(method.lower()) if found else None
            if found and op is not None:
                return Operation(template, method.lower(), op), found.groupdict().get("id")
        return None

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self._pointer(node["$ref"])
        return node

    def _pointer(self, ref: str) -> dict[str, Any]:
        node: Any = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def query_problems(self, op: Operation, query: dict[str, str]) -> list[str]:
        """Type and presence of the declared query parameters (others are ignored, as VMS does)."""
        problems = []
        for param in (self.resolve(p) for p in op.spec.get("parameters", [])):
            if param.get("in") != "query":
                continue
            name, schema = param["name"], param.get("schema", {})
            if name not in query:
                if param.get("required"):
                    problems.append(f"query parameter {name!r} is required")
                continue
            value: Any = query[name]
            if schema.get("type") == "integer":
                if not re.fullmatch(r"-?\d+", value):
                    problems.append(f"query parameter {name!r}={value!r} is not an integer")
                    continue
                value = int(value)
            elif schema.get("type") == "boolean":
                if value.lower() not in ("true", "false"):
                    problems.append(f"query parameter {name!r}={value!r} is not a boolean")
                continue
            problems += [f"query parameter {name!r}: {e}" for e in self._errors(schema, value)]
        return problems

    def declared_query(self, op: Operation) -> set[str]:
        return {
            p["name"]
            for p in (self.resolve(p) for p in op.spec.get("parameters", []))
            if p.get("in") == "query"
        }

    def request_problems(self, op: Operation, body: Any) -> list[str]:
        schema = self._body_schema(op.spec.get("requestBody"))
        if schema is None:
            return [] if body in (None, {}) else [f"{op.label} takes no body"]
        if body is None:
            return [f"{op.label} needs a body"] if op.spec["requestBody"].get("required") else []
        problems = self._errors(schema, body)
        known = self.properties(schema)
        if isinstance(body, dict) and known:
            problems += [f"unknown field {k!r}" for k in sorted(set(body) - known)]
        return problems

    def response_problems(self, op: Operation, status: int, body: Any) -> list[str]:
        responses = op.spec.get("responses", {})
        if str(status) not in responses:
            if status >= 400:
                return []  # errors: VMS answers them for any operation
            return [f"{op.label} answered {status}, the spec allows {sorted(responses)}"]
        schema = self._body_schema(responses[str(status)])
        if schema is None:
            return []
        if isinstance(body, dict) and "results" in body and schema.get("type") == "array":
            body = body["results"]  # the paged form some VMS versions answer
        return self._errors(schema, body)

    def properties(self, schema: dict[str, Any]) -> set[str]:
        """Every property a schema (through $ref and allOf) defines."""
        schema = self.resolve(schema)
        names = set(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            names |= self.properties(part)
        return names

    def defaults(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Property defaults a schema declares: what VMS fills in for fields not sent."""
        schema = self.resolve(schema)
        found = {k: v["default"] for k, v in schema.get("properties", {}).items() if "default" in v}
        for part in schema.get("allOf", []):
            found |= self.defaults(part)
        return found

    def _body_schema(self, holder: dict[str, Any] | None) -> dict[str, Any] | None:
        if not holder:
            return None
        content = self.resolve(holder).get("content") or {}
        media = content.get("application/json") or content.get("*/*") or {}
        return media.get("schema")

    def _errors(self, schema: dict[str, Any], value: Any) -> list[str]:
        validator = _validator(self, json.dumps(schema, sort_keys=True))
        return [
            f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
            for e in validator.iter_errors(value)
        ]


def _repair(node: Any, where: str = "#") -> list[str]:
    """Fix the spec's known defects in place, and say which.

    ``View.protocols`` puts its ``enum`` on the array instead of its items (the
    request bodies have it right), which would reject every real answer.
    """
    repaired = []
    if isinstance(node, dict):
        if node.get("type") == "array" and "enum" in node:
            node.setdefault("items", {})["enum"] = node.pop("enum")
            repaired.append(where)
        for key, value in node.items():
            repaired += _repair(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            repaired += _repair(value, f"{where}/{i}")
    return repaired


@cache
def _validator(spec: Spec, schema_json: str) -> jsonschema.Draft4Validator:
    # Local refs ('#/components/...') resolve against a root holding the components.
    root = {**json.loads(schema_json), "components": spec.doc["components"]}
    return jsonschema.Draft4Validator(root)


@cache
def load_spec() -> Spec | None:
    path = spec_path()
    return Spec(path) if path else None
