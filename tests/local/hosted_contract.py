"""The hosted Management API contract for every endpoint our client calls and the simulator serves.

Written by hand from public facts, not from our code: the OpenAPI document the supabase CLI
vendors (packages/api/src/generated/openapi.json), the contract embedded in supabase CLI 3.1.0
(where it differs from the older document: `logs.all` answers 410, `/analytics/endpoints/logs` is
ClickHouse SQL over `logs`), and the CLI's recorded exchanges with hosted Supabase
(apps/cli-e2e/fixtures/recorded/: api-keys, secrets, database/query, error bodies). Facts only:
nothing there is copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_NULLABLE_STR = {"type": ["string", "null"]}
MESSAGE = {"type": "object", "required": ["message"], "properties": {"message": _STR}}

FUNCTION = {
    "type": "object",
    "required": ["id", "slug", "name", "status", "version", "created_at", "updated_at"],
    "properties": {
        "id": _STR, "slug": _STR, "name": _STR, "status": {"enum": ["ACTIVE", "REMOVED", "THROTTLED"]},
        "version": _INT, "created_at": _INT, "updated_at": _INT, "verify_jwt": _BOOL, "import_map": _BOOL,
        # optional strings: absent when unset (CLI 3.1.0 rejects null), hosted build-folder URLs
        "entrypoint_path": {"type": "string", "pattern": "^file:///"},
        "import_map_path": {"type": "string", "pattern": "^file:///"},
        "ezbr_sha256": _STR,
    },
}
DEPLOYED = {**FUNCTION, "required": ["id", "slug", "name", "status", "version"]}
API_KEY_LEGACY = {
    "type": "object", "required": ["name", "api_key", "id", "type", "hash", "prefix", "description"],
    "properties": {"name": {"enum": ["anon", "service_role"]}, "type": {"const": "legacy"},
                   "api_key": {"type": "string", "pattern": r"^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$"},  # a JWT
                   "id": _STR, "hash": _STR, "prefix": _STR, "description": _STR},
    "additionalProperties": False,
}
API_KEY_NEW = {
    "type": "object",
    "required": ["id", "name", "type", "api_key", "description", "secret_jwt_template", "hash", "prefix",
                 "inserted_at", "updated_at"],
    "properties": {"type": {"enum": ["publishable", "secret"]}, "api_key": _STR, "name": _STR, "id": _STR,
                   "description": _NULLABLE_STR, "secret_jwt_template": {"type": ["object", "null"]},
                   "hash": _STR, "prefix": _STR, "inserted_at": _STR, "updated_at": _STR},
    "additionalProperties": False,
}
LOG_ROW_OURS = {  # the columns our log check selects, as ClickHouse returns them
    "type": "object", "required": ["id", "ts_ms", "source", "severity_text", "level", "event_message",
                                   "log_attributes"],
    "properties": {"id": _STR, "ts_ms": _INT, "source": {"enum": ["function_logs", "function_edge_logs"]},
                   "severity_text": _STR, "level": _STR, "event_message": _STR,
                   "log_attributes": {"type": "object", "additionalProperties": _STR}},
}
ANALYTICS = {
    "type": "object",
    "properties": {
        "result": {"type": ["array", "null"]},
        "error": {"oneOf": [{"type": "null"}, _STR, {
            "type": "object", "required": ["code", "errors", "message", "status"],
            "properties": {"code": {"type": "number"}, "message": _STR, "status": _STR, "errors": {
                "type": "array", "items": {"type": "object", "required": [
                    "domain", "location", "locationType", "message", "reason"]}}}}]},
    },
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # template
    query: frozenset[str] = frozenset()  # the parameters hosted knows
    statuses: frozenset[int] = frozenset({200})
    schema: dict[str, Any] | None = None  # of the success body; None: empty body, no content type
    extra: dict[str, Any] = field(default_factory=dict)


P = "/v1/projects/{ref}"
ENDPOINTS = {e.name: e for e in [
    Endpoint("get-project", "GET", P, schema={"type": "object", "required": [
        "id", "ref", "organization_id", "name", "region", "created_at", "status"]}),
    Endpoint("api-keys", "GET", P + "/api-keys", frozenset({"reveal"}), schema={
        "type": "array", "minItems": 4, "prefixItems": [API_KEY_LEGACY, API_KEY_LEGACY, API_KEY_NEW, API_KEY_NEW]}),
    Endpoint("health", "GET", P + "/health", frozenset({"services", "timeout_ms"}), schema={
        "type": "array", "items": {"type": "object", "required": ["name", "healthy", "status"], "properties": {
            "status": {"enum": ["COMING_UP", "ACTIVE_HEALTHY", "UNHEALTHY"]}}}}),
    Endpoint("functions.list", "GET", P + "/functions", schema={"type": "array", "items": FUNCTION}),
    Endpoint("functions.get", "GET", P + "/functions/{slug}", schema=FUNCTION),
    Endpoint("functions.update", "PATCH", P + "/functions/{slug}", frozenset({
        "slug", "name", "verify_jwt", "import_map", "entrypoint_path", "import_map_path", "ezbr_sha256"}),
        schema=FUNCTION),
    Endpoint("functions.deploy", "POST", P + "/functions/deploy", frozenset({"slug", "bundleOnly"}),
             frozenset({201}), schema=DEPLOYED),
    Endpoint("functions.delete", "DELETE", P + "/functions/{slug}", schema=MESSAGE),
    Endpoint("functions.body", "GET", P + "/functions/{slug}/body"),
    Endpoint("secrets.list", "GET", P + "/secrets", schema={"type": "array", "items": {
        "type": "object", "required": ["name", "value"]}}),
    Endpoint("secrets.set", "POST", P + "/secrets", statuses=frozenset({201})),
    Endpoint("secrets.delete", "DELETE", P + "/secrets"),
    Endpoint("database.query", "POST", P + "/database/query", statuses=frozenset({201}),
             schema={"type": "array", "items": {"type": "object"}}),
    Endpoint("database.query-read-only", "POST", P + "/database/query/read-only", statuses=frozenset({201}),
             schema={"type": "array", "items": {"type": "object"}}),
    Endpoint("logs", "GET", P + "/analytics/endpoints/logs",
             frozenset({"sql", "iso_timestamp_start", "iso_timestamp_end"}), schema=ANALYTICS),
    Endpoint("logs.all", "GET", P + "/analytics/endpoints/logs.all", statuses=frozenset({410})),
]}
