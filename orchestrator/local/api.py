"""Management API endpoints the supabase CLI (3.1.0, 2.122.1) and our client call.

Shapes follow the Management API's OpenAPI schemas that the CLI validates responses with
(embedded in the CLI binary): a deploy answers 201 with `id`, `slug`, `name`, `status`,
`version`; secrets are `[{name, value}]`; the function body download is multipart
(a `metadata` part, then one part per file).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from orchestrator.local import multipart
from orchestrator.local.http import Request, Response, Route, error, json_response, route
from orchestrator.local.keys import SECRET_VISIBLE_PREFIX, key_hash, masked
from orchestrator.local.logs import LogEngine, LogQueryError, RangeError, window
from orchestrator.local.store import Function, Store

# Without `sql`, hosted queries edge_logs of the window; the local target has none, so this
# returns the newest rows of every source.
DEFAULT_LOGS_SQL = "select id, timestamp, source, event_message from logs order by timestamp desc limit 100"


@dataclass(frozen=True)
class SimConfig:
    project_ref: str
    access_token: str
    anon_key: str  # legacy: HS256 JWTs signed with jwt_secret (keys.py)
    service_role_key: str
    db_url: str
    db_port: int
    functions_url: str
    jwt_secret: str = ""
    publishable_key: str = ""
    secret_key: str = ""
    name: str = "local"
    region: str = "local"


@dataclass(frozen=True)
class Upload:
    name: str
    entrypoint: str
    files: dict[str, bytes]
    verify_jwt: bool
    import_map_path: str = ""
    static_patterns: tuple[str, ...] = ()

    def deploy_to(self, store: Store, slug: str) -> Function:
        return store.deploy(slug, self.name, self.entrypoint, self.files, self.verify_jwt, self.import_map_path,
                            self.static_patterns)


SLUG = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")  # the OpenAPI pattern of `slug` (deploy, PATCH)
HEALTH_SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")


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
            route("PATCH", p + "/functions/{slug}", "functions.update", self.update_function),
            route("DELETE", p + "/functions/{slug}", "functions.delete", self.delete_function),
            route("GET", p + "/functions/{slug}/body", "functions.body", self.function_body),
            route("GET", p + "/secrets", "secrets.list", self.list_secrets),
            route("POST", p + "/secrets", "secrets.set", self.set_secrets),
            route("DELETE", p + "/secrets", "secrets.delete", self.delete_secrets),
            route("POST", p + "/database/query", "database.query", self.query),
            route("POST", p + "/database/query/read-only", "database.query-read-only", self.read_only_query),
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
        """`services` is required (repeated, or comma-separated); only those are answered."""
        names = [n for value in req.query.get("services", []) for n in value.split(",") if n]
        unknown = sorted(set(names) - set(HEALTH_SERVICES))
        if not names or unknown:
            return error(400, f"services must be one or more of {', '.join(HEALTH_SERVICES)}"
                              + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        return json_response(200, [{"name": n, "healthy": True, "status": "ACTIVE_HEALTHY"} for n in names])

    def api_keys(self, req: Request) -> Response:
        """Hosted's shape and order (supabase/cli e2e recording): legacy JWTs, then the new keys;
        a secret key is masked unless `reveal=true`."""
        c, reveal = self.config, req.arg("reveal") == "true"
        stamp = self.created_at

        def legacy(name: str, key: str) -> dict[str, Any]:
            return {"name": name, "api_key": key, "id": name, "type": "legacy", "hash": key_hash(key),
                    "prefix": key.rsplit(".", 1)[-1][:5], "description": f"Legacy {name} API key"}

        def new(kind: str, key: str, template: dict[str, str] | None) -> dict[str, Any]:
            return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)), "name": "default", "type": kind,
                    "api_key": key if kind == "publishable" or reveal else masked(key), "description": None,
                    "secret_jwt_template": template, "hash": key_hash(key), "prefix": key[:SECRET_VISIBLE_PREFIX],
                    "inserted_at": stamp, "updated_at": stamp}

        return json_response(200, [legacy("anon", c.anon_key), legacy("service_role", c.service_role_key),
                                   new("publishable", c.publishable_key, None),
                                   new("secret", c.secret_key, {"role": "service_role"})])

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
        try:
            parts = multipart.parse(req.headers.get("content-type", ""), req.body)
            meta: dict[str, Any] = next((json.loads(p.data) for p in parts if p.name == "metadata"), {})
        except ValueError as exc:
            return error(400, str(exc))
        files = {_relative(p.filename): p.data for p in parts if p.name == "file" and p.filename}
        slug = req.arg("slug") or meta.get("name")
        if not isinstance(slug, str) or not SLUG.match(slug):
            return error(400, f"slug must match {SLUG.pattern}")
        if not files or not meta.get("entrypoint_path"):
            return error(400, "metadata.entrypoint_path and at least one file are required")
        patterns = meta.get("static_patterns") or []
        upload = Upload(str(meta.get("name") or slug), _relative(str(meta["entrypoint_path"])), files,
                        bool(meta.get("verify_jwt", True)), _relative(str(meta.get("import_map_path") or "")),
                        tuple(str(p) for p in patterns))
        if upload.entrypoint not in files:
            return error(400, f"the entrypoint {upload.entrypoint} is not among the uploaded files")
        if upload.import_map_path and upload.import_map_path not in files:
            return error(400, f"the import map {upload.import_map_path} is not among the uploaded files")
        if req.arg("bundleOnly") in ("true", "1"):
            return json_response(201, self._stage(slug, upload))
        return json_response(201, upload.deploy_to(self.store, slug).as_api())

    def _stage(self, slug: str, upload: Upload) -> dict[str, Any]:
        """bundleOnly: keep the upload aside; the bulk update that follows makes it live."""
        with self.store.lock:
            self.staged[slug] = upload
            fn = self.store.functions.get(slug)
            version = fn.current.version + 1 if fn else 1
            return {"id": fn.id if fn else str(uuid.uuid4()), "slug": slug, "name": upload.name,
                    "status": "ACTIVE", "version": version, "entrypoint_path": upload.entrypoint,
                    "verify_jwt": upload.verify_jwt}

    def bulk_update(self, req: Request) -> Response:
        wanted = req.json() or []
        slugs = [str(item.get("slug")) for item in wanted if isinstance(item, dict)]
        with self.store.lock:
            for slug in slugs:
                if (up := self.staged.pop(slug, None)) is not None:
                    up.deploy_to(self.store, slug)
            found = [self.store.functions[s].as_api() for s in slugs if s in self.store.functions]
        return json_response(200, {"functions": found})

    def update_function(self, req: Request) -> Response:
        """PATCH: new settings (query `name`, `verify_jwt`, `entrypoint_path`, `import_map_path`, or a
        JSON body {name, verify_jwt}) take effect as a new version of the same files. An eszip body
        cannot be served here (the local target runs sources, not bundles)."""
        fn = self.store.functions.get(req.params["slug"])
        if fn is None:
            return error(404, "Function not found")
        if req.headers.get("content-type", "").startswith("application/vnd.denoland.eszip"):
            return error(415, "the local target cannot run eszip bundles: deploy with --use-api")
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return error(400, "the body must be JSON {name, body, verify_jwt}")
        if not isinstance(body, dict) or body.get("body") is not None:
            return error(415, "the local target cannot run bundled code bodies: deploy with --use-api")
        cur = fn.current
        verify = req.arg("verify_jwt")
        upload = Upload(str(req.arg("name") or body.get("name") or fn.name),
                        _relative(req.arg("entrypoint_path") or cur.entrypoint_path),
                        self.store.read_files(fn.slug, cur.version),
                        body.get("verify_jwt", cur.verify_jwt) if verify is None else verify == "true",
                        _relative(req.arg("import_map_path") or cur.import_map_path), cur.static_patterns)
        return json_response(200, upload.deploy_to(self.store, fn.slug).as_api())

    def function_body(self, req: Request) -> Response:
        """`Accept: multipart/form-data` (what the supabase CLI sends): the source files. Hosted
        answers other Accept values with the eszip bundle, which the local target never builds."""
        fn = self.store.functions.get(req.params["slug"])
        if fn is None:
            return error(404, "Function not found")
        if "multipart/form-data" not in req.headers.get("accept", ""):
            return error(406, "the local target keeps sources, not eszip bundles: ask with "
                              "Accept: multipart/form-data")
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
        return Response(201, b"", content_type="")  # hosted: empty body, no content type

    def delete_secrets(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, list):
            return error(400, "expected a list of secret names")
        self.store.delete_secrets([str(n) for n in body])
        return Response(200, b"", content_type="")

    # -- database and logs --------------------------------------------------------------------

    def query(self, req: Request) -> Response:
        return self._run_sql(req, read_only=False)

    def read_only_query(self, req: Request) -> Response:
        """Runs in a read-only transaction: a write fails with SQLSTATE 25006, as on hosted."""
        return self._run_sql(req, read_only=True)

    def _run_sql(self, req: Request, *, read_only: bool) -> Response:
        body = req.json() if req.body else None
        sql = body.get("query") if isinstance(body, dict) else None
        if not isinstance(sql, str) or not sql:
            return error(400, "query must be a non-empty string")
        params = body.get("parameters") if isinstance(body, dict) else None
        if params is not None and not isinstance(params, list):
            return error(400, "parameters must be an array")
        try:
            with psycopg.connect(self.config.db_url, autocommit=True, row_factory=dict_row) as conn, \
                    conn.transaction():
                if read_only:
                    conn.execute("set transaction read only")
                if params:  # bound as hosted's pg-meta (node-postgres) does: as text, types inferred
                    cur: Any = psycopg.RawCursor(conn, row_factory=dict_row)
                    cur.execute(sql, [_as_text(p) for p in params])
                else:
                    cur = conn.execute(sql.encode())
                rows = cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            return error(400, _sql_error(exc))
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


def _sql_error(exc: Exception) -> str:
    """Hosted's text: `Failed to run sql query: ERROR:  25006: cannot execute ...` and a newline."""
    diag = getattr(exc, "diag", None)
    state, primary = getattr(diag, "sqlstate", None), getattr(diag, "message_primary", None)
    if state and primary:
        return f"Failed to run sql query: ERROR:  {state}: {primary}\n"
    return f"Failed to run sql query: {str(exc).strip()}\n"


def _relative(path: str) -> str:
    """Upload file names may be absolute (file:///...) or relative; keep the project-relative tail."""
    clean = path.removeprefix("file://").lstrip("/")
    marker = "supabase/functions/"
    return clean.split(marker, 1)[1] if marker in clean else clean


def _uri(path: str) -> str:
    return path


def _as_text(value: Any) -> str | None:
    """A JSON parameter as node-postgres sends it: null stays NULL, booleans 'true'/'false', arrays
    Postgres array literals, objects JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return _array_literal(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _array_literal(values: list[Any]) -> str:
    """node-postgres' arrayString: elements double-quoted with backslash escapes, nulls as NULL."""
    def element(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, list):
            return _array_literal(v)
        text = str(_as_text(v))
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(element(v) for v in values) + "}"
