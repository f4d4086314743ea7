"""The functions gateway: `http://127.0.0.1:PORT/functions/v1/<slug>` runs the live version.

A Deno worker (worker.py) starts lazily per live version and is replaced when a new version
is deployed. Every request becomes a `function_edge_logs` row with its status; the worker's
console output becomes `function_logs` rows. Like the hosted gateway, a function deployed
with verify_jwt needs `Authorization: Bearer <JWT signed with the project's JWT secret>` (the legacy
anon/service_role keys or a user's token; API keys are not JWTs: 401, as on hosted),
a function that fails to boot answers 503, an unknown slug 404.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from orchestrator.jsonc import strip_jsonc
from orchestrator.local.api import SimConfig
from orchestrator.local.bootstrap import BOOTSTRAP_JS
from orchestrator.local.http import Response, error, read_request, write_response
from orchestrator.local.keys import verify_authorization
from orchestrator.local.logs import LogBook
from orchestrator.local.store import Function, Store
from orchestrator.local.worker import BootError, Worker
from orchestrator.tools import INSTALL_HINT, local_deno

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}


class Gateway:
    def __init__(self, store: Store, logs: LogBook, config: SimConfig, runtime: Path) -> None:
        self.store, self.logs, self.config, self.runtime = store, logs, config, runtime
        runtime.mkdir(parents=True, exist_ok=True)
        self.bootstrap = runtime / "bootstrap.js"
        self.bootstrap.write_text(BOOTSTRAP_JS)
        self.base_url = ""
        self._workers: dict[str, tuple[int, Worker]] = {}
        self._lock = threading.Lock()
        self._slug_locks: dict[str, threading.Lock] = {}

    def server(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return server

    def stop(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for _, worker in workers:
            worker.stop()

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        route, sep, query = path.partition("?")
        slug, _, rest = route.removeprefix("/functions/v1/").partition("/")
        fn = self.store.functions.get(slug)
        if not path.startswith("/functions/v1/") or fn is None:
            return error(404, "Requested function was not found")
        start = time.time()
        target = (f"/{slug}/{rest}" if rest else f"/{slug}") + sep + query
        response = self._call(fn, method, target, headers, body)
        self.logs.append("function_edge_logs", fn.id, _edge_level(response.status),
                         f"{method} | {response.status} | {self.base_url}{path}", status_code=response.status,
                         method=method, pathname=route, version=str(fn.current.version),
                         execution_time_ms=int((time.time() - start) * 1000), execution_id=str(uuid.uuid4()))
        return response

    def _call(self, fn: Function, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        refused = verify_authorization(headers.get("authorization", ""), self.config.jwt_secret) \
            if fn.current.verify_jwt else None
        if refused is not None:
            return Response(refused[0], json.dumps(refused[1]).encode())
        try:
            worker = self._worker(fn)
        except BootError as exc:
            self._log(fn, "error", f"worker boot error: {exc}")
            return Response(503, b'{"code":"BOOT_ERROR","message":"Worker failed to boot (please check logs)"}')
        return _proxy(worker.port, method, path, headers, body)

    def _worker(self, fn: Function) -> Worker:
        with self._lock:
            lock = self._slug_locks.setdefault(fn.slug, threading.Lock())
        with lock:
            version = fn.current.version
            current = self._workers.get(fn.slug)
            if current and current[0] == version and current[1].alive:
                return current[1]
            if current:
                current[1].stop()
            worker = self._start(fn, version)
            self._workers[fn.slug] = (version, worker)
        worker.wait_ready()
        return worker

    def _start(self, fn: Function, version: int) -> Worker:
        deno = local_deno()
        if deno is None:
            raise BootError(f"deno is not installed ({INSTALL_HINT})")
        root = self.store.version_dir(fn.slug, version)
        self._log(fn, "info", f"booting version {version}", event_type="Boot")
        import_map = self._import_map(root, fn.current.import_map_path, f"{fn.slug}-{version}")
        return Worker(deno, self.bootstrap, root, root / fn.current.entrypoint_path, self._env(), self.runtime,
                      lambda level, msg: self._log(fn, level, msg, version=str(version)), import_map)

    def _import_map(self, root: Path, rel: str, tag: str) -> Path | None:
        """The deploy's import map (import_map.json, deno.json or deno.jsonc), as Edge Runtime reads
        it: its `imports`/`scopes`, resolved against the map's own folder. JSONC is turned into
        JSON first (Deno's --import-map reads plain JSON only)."""
        if not rel:
            return None
        source = root / rel
        if source.suffix != ".jsonc":
            return source
        try:
            data = json.loads(strip_jsonc(source.read_text()))
        except (OSError, ValueError) as exc:
            raise BootError(f"cannot read the import map {rel}: {exc}") from None
        plain = source.with_name(f".{tag}.import_map.json")
        plain.write_text(json.dumps({k: data[k] for k in ("imports", "scopes") if k in data}))
        return plain

    def _env(self) -> dict[str, str]:
        c = self.config
        return {**self.store.secret_values(), "SUPABASE_URL": self.base_url, "SUPABASE_ANON_KEY": c.anon_key,
                "SUPABASE_SERVICE_ROLE_KEY": c.service_role_key, "SUPABASE_DB_URL": c.db_url}

    def _log(self, fn: Function, level: str, message: str, **attrs: Any) -> None:
        attrs.setdefault("event_type", "Log")
        attrs.setdefault("version", str(fn.current.version))
        self.logs.append("function_logs", fn.id, level, message, **attrs)


def _edge_level(status: int) -> str:
    return "error" if status >= 500 else "warn" if status >= 400 else "info"


def _proxy(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=150)
    try:
        conn.request(method, path, body=body or None,
                     headers={k: v for k, v in headers.items() if k not in _HOP_HEADERS})
        answer = conn.getresponse()
        data = answer.read()
    except (OSError, http.client.HTTPException) as exc:
        return Response(502, f'{{"message":"function worker failed: {type(exc).__name__}"}}'.encode())
    finally:
        conn.close()
    passed = {k: v for k, v in answer.getheaders() if k.lower() not in _HOP_HEADERS | {"content-type"}}
    return Response(answer.status, data, answer.getheader("content-type", "application/octet-stream"), passed)


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, each response waits ~40 ms
        # for the client's delayed ACK. Measured: 45 ms -> 1.2 ms per call.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            req = read_request(self)
            path = self.path.split("?", 1)
            full = req.path + (f"?{path[1]}" if len(path) > 1 else "")
            write_response(self, gateway.serve(req.method, full, req.headers, req.body))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: edge log rows are the record."""

    return Handler
