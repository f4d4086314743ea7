"""Management API endpoints the supabase CLI (3.1.0, 2.122.1) and our client call.

Shapes follow the Management API's OpenAPI schemas that the CLI validates responses with
(embedded in the CLI binary): a deploy answers 201 with `id`, `slug`, `name`, `status`,
`version`; secrets are `[{name, value}]`; the function body download is multipart
(a `metadata` part, then one part per file).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from orchestrator.local import multipart
from orchestrator.local.http import Request, Response, Route, error, json_response, route
from orchestrator.local.logs import LogEngine, LogQueryError, RangeError, window
from orchestrator.local.store import Store


# Without `sql`, hosted queries edge_logs of the window; the local target has none, so this
# returns the newest rows of every source.
DEFAULT_LOGS_SQL = "select id, timestamp, source, event_message from logs order by timestamp desc limit 100"


@dataclass(frozen=True)
class SimConfig:
    project_ref: str
    access_token: str
    anon_key: str
    service_role_key: str
    db_url: str
    db_port: int
    functions_url: str
    name: str = "local"
    region: str = "local"


@dataclass(frozen=True)
class Upload:
    name: str
    entrypoint: str
    files: dict[str, bytes]
    verify_jwt: bool


class SimApi:
    def __init__(self, config: SimConfig, store: Store, logs: LogEngine) -> None:
        self.config, self.store, self.logs = config, store, logs
        self.staged: dict[str, Upload] = {}  # bundleOnly uploads waiting for the bulk update
        self.created_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def routes(self) -> list[Route]:
        p = "/v1/projects/{ref}"
        return [
            route("GET", "/v1/projects", "projects.list", self.list_projects),
            route("GET", p, "projects.get", self.get_project),
            route("GET", p + "/health", "projects.health", self.health),
            route("GET", p + "/api-keys", "api-keys.list", self.api_keys),
            route("GET", p + "/api-keys/legacy", "api-keys.legacy", lambda r: json_response(200, {"enabled": True})),
            route("GET", p + "/config/database/pooler", "pooler.get", self.pooler),
            route("GET", p + "/functions", "functions.list", self.list_functions),
            route("PUT", p + "/functions", "functions.bulk-update", self.bulk_update),
            route("POST", p + "/functions/deploy", "functions.deploy", self.deploy),
            route("GET", p + "/functions/{slug}", "functions.get", self.get_function),
            route("PATCH", p + "/functions/{slug}", "functions.update", self.get_function),
            route("DELETE", p + "/functions/{slug}", "functions.delete", self.delete_function),
            route("GET", p + "/functions/{slug}/body", "functions.body", self.function_body),
            route("GET", p + "/secrets", "secrets.list", self.list_secrets),
            route("POST", p + "/secrets", "secrets.set", self.set_secrets),
            route("DELETE", p + "/secrets", "secrets.delete", self.delete_secrets),
            route("POST", p + "/database/query", "database.query", self.query),
            route("POST", p + "/database/query/read-only", "database.query-read-only", self.query),
            route("GET", p + "/analytics/endpoints/logs", "logs.get", self.get_logs),
            route("GET", p + "/analytics/endpoints/logs.all", "logs.all", self.logs_all_gone),
        ]

    # -- project ------------------------------------------------------------------------------

    def project(self) -> dict[str, Any]:
        c = self.config
        return {"id": c.project_ref, "ref": c.project_ref, "organization_id": "local-org",
                "organization_slug": "local-org", "name": c.name, "region": c.region,
                "created_at": self.created_at, "status": "ACTIVE_HEALTHY",
                "database": {"host": "127.0.0.1", "version": "15.0", "postgres_engine": "15",
                             "release_channel": "ga"}}

    def list_projects(self, req: Request) -> Response:
        return json_response(200, [self.project()])

    def get_project(self, req: Request) -> Response:
        return json_response(200, self.project())

    def health(self, req: Request) -> Response:
        services = req.query.get("services") or ["db"]
        names = [n for value in services for n in value.split(",") if n]
        return json_response(200, [{"name": n, "healthy": True, "status": "ACTIVE_HEALTHY"} for n in names])

    def api_keys(self, req: Request) -> Response:
        c = self.config
        return json_response(200, [
            {"name": "anon", "api_key": c.anon_key, "id": "anon", "type": "legacy"},
            {"name": "service_role", "api_key": c.service_role_key, "id": "service_role", "type": "legacy"},
        ])

    def pooler(self, req: Request) -> Response:
        # The CLI connects to a pooler on port 5432 of a public-suffix host name; nothing here
        # resolves such a name to 127.0.0.1, so migrations on the local target use db_url.
        c = self.config
        conn = f"postgresql://postgres.{c.project_ref}:[YOUR-PASSWORD]@127.0.0.1:{c.db_port}/postgres"
        return json_response(200, [{"database_type": "PRIMARY", "db_host": "127.0.0.1", "db_port": c.db_port,
                                    "db_name": "postgres", "db_user": "postgres", "identifier": c.project_ref,
                                    "pool_mode": "transaction", "connection_string": conn,
                                    "is_using_scram_auth": True}])

    # -- functions ----------------------------------------------------------------------------

    def list_functions(self, req: Request) -> Response:
        with self.store.lock:
            return json_response(200, [f.as_api() for f in self.store.functions.values()])

    def get_function(self, req: Request) -> Response:
        fn = self.store.functions.get(req.params["slug"])
        return json_response(200, fn.as_api()) if fn else error(404, "Function not found")

    def delete_function(self, req: Request) -> Response:
        if not self.store.delete(req.params["slug"]):
            return error(404, "Function not found")
        return json_response(200, {"message": "Successfully deleted"})

    def deploy(self, req: Request) -> Response:
        slug = req.arg("slug")
        try:
            parts = multipart.parse(req.headers.get("content-type", ""), req.body)
        except ValueError as exc:
            return error(400, str(exc))
        meta: dict[str, Any] = next((json.loads(p.data) for p in parts if p.name == "metadata"), {})
        files = {_relative(p.filename): p.data for p in parts if p.name == "file" and p.filename}
        slug = slug or meta.get("name")
        if not slug or not files:
            return error(400, "slug and at least one file are required")
        upload = Upload(str(meta.get("name") or slug), _relative(str(meta.get("entrypoint_path") or "index.ts")),
                        files, bool(meta.get("verify_jwt", True)))
        if req.arg("bundleOnly") in ("true", "1"):
            return json_response(201, self._stage(slug, upload))
        fn = self.store.deploy(slug, upload.name, upload.entrypoint, upload.files, upload.verify_jwt)
        return json_response(201, fn.as_api())

    def _stage(self, slug: str, upload: Upload) -> dict[str, Any]:
        """bundleOnly: keep the upload aside; the bulk update that follows makes it live."""
        with self.store.lock:
            self.staged[slug] = upload
            fn = self.store.functions.get(slug)
            version = fn.current.version + 1 if fn else 1
            return {"id": fn.id if fn else slug, "slug": slug, "name": upload.name, "status": "ACTIVE",
                    "version": version, "entrypoint_path": upload.entrypoint, "verify_jwt": upload.verify_jwt}

    def bulk_update(self, req: Request) -> Response:
        wanted = req.json() or []
        slugs = [str(item.get("slug")) for item in wanted if isinstance(item, dict)]
        with self.store.lock:
            for slug in slugs:
                if (up := self.staged.pop(slug, None)) is not None:
                    self.store.deploy(slug, up.name, up.entrypoint, up.files, up.verify_jwt)
            found = [self.store.functions[s].as_api() for s in slugs if s in self.store.functions]
        return json_response(200, {"functions": found})

    def function_body(self, req: Request) -> Response:
        fn = self.store.functions.get(req.params["slug"])
        if fn is None:
            return error(404, "Function not found")
        cur = fn.current
        files = self.store.read_files(fn.slug, cur.version)
        meta = {"deno2_entrypoint_path": _uri(cur.entrypoint_path), "entrypoint_path": _uri(cur.entrypoint_path),
                "name": fn.slug}
        parts = [multipart.Part("metadata", None, "application/json", json.dumps(meta).encode())]
        parts += [multipart.Part("file", _uri(path), "application/octet-stream", data)
                  for path, data in files.items()]
        content_type, body = multipart.build(parts)
        return Response(200, body, content_type)

    # -- secrets ------------------------------------------------------------------------------

    def list_secrets(self, req: Request) -> Response:
        with self.store.lock:
            rows = [{"name": k, "value": hashlib.sha256(v.encode()).hexdigest(),
                     "updated_at": datetime.fromtimestamp(t, UTC).isoformat()}
                    for k, (v, t) in sorted(self.store.secrets.items())]
        return json_response(200, rows)

    def set_secrets(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, list) or not all(isinstance(s, dict) and "name" in s for s in body):
            return error(400, "expected [{name, value}]")
        self.store.set_secrets({str(s["name"]): str(s.get("value", "")) for s in body})
        return json_response(201, {})

    def delete_secrets(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, list):
            return error(400, "expected a list of secret names")
        self.store.delete_secrets([str(n) for n in body])
        return json_response(200, {})

    # -- database and logs --------------------------------------------------------------------

    def query(self, req: Request) -> Response:
        sql = (req.json() or {}).get("query", "")
        try:
            with psycopg.connect(self.config.db_url, autocommit=True, row_factory=dict_row) as conn:
                cur = conn.execute(sql)
                rows = cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            return error(400, f"Failed to run sql query: {exc}")
        return Response(201, json.dumps(rows, default=str).encode())

    def get_logs(self, req: Request) -> Response:
        """ClickHouse SQL over the unified `logs` table (see logs.py). Query errors come back
        inside a 200, under `error`, the way the supabase CLI expects them."""
        try:
            span = window(req.arg("iso_timestamp_start"), req.arg("iso_timestamp_end"), datetime.now(UTC))
        except RangeError as exc:
            return error(400, str(exc))
        sql = req.arg("sql") or DEFAULT_LOGS_SQL
        try:
            return json_response(200, {"result": self.logs.query(sql, span), "error": None})
        except LogQueryError as exc:
            return json_response(200, {"result": None, "error": {
                "code": 400, "message": str(exc), "status": "INVALID_ARGUMENT",
                "errors": [{"domain": "global", "location": "sql", "locationType": "parameter",
                            "message": str(exc), "reason": "invalidQuery"}]}})

    def logs_all_gone(self, req: Request) -> Response:
        return error(410, "This endpoint has been removed. Use GET /v1/projects/{ref}/analytics/endpoints/logs "
                          "instead (ClickHouse SQL over the logs table).")


def _relative(path: str) -> str:
    """Upload file names may be absolute (file:///...) or relative; keep the project-relative tail."""
    clean = path.removeprefix("file://").lstrip("/")
    marker = "supabase/functions/"
    return clean.split(marker, 1)[1] if marker in clean else clean


def _uri(path: str) -> str:
    return path
