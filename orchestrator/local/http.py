"""HTTP plumbing of the simulator: requests, responses, routes, faults, rate limits, request log.

Stdlib only (ThreadingHTTPServer): the simulator must start in a bare environment and needs
nothing a framework would add.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json; charset=utf-8")


def error(status: int, message: str) -> Response:
    return json_response(status, {"message": message})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler


def route(method: str, template: str, name: str, handler: Handler) -> Route:
    """`/v1/projects/{ref}/functions/{slug}` -> a regex with named groups."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), name, handler)


@dataclass
class Fault:
    """The next `count` calls matching method + path glob fail or stall."""

    method: str
    path: str
    count: int = 1
    status: int | None = 500
    latency: float = 0.0
    hang: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


class Faults:
    def __init__(self, stopping: threading.Event) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._stopping = stopping

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remaining(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"method": f.method, "path": f.path, "count": f.count} for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    return fault
        return None

    def apply(self, fault: Fault) -> Response | None:
        """Stall as told (a hang lasts until shutdown), then the error to answer, if any."""
        if fault.hang:
            self._stopping.wait()
        elif fault.latency:
            self._stopping.wait(fault.latency)
        if not fault.status:
            return None
        failed = error(fault.status, "injected fault")
        if fault.status == 429:  # what a spent quota says first (the supabase CLI reads it too)
            failed.headers["Retry-After"] = "1"
        return failed


class RateLimiter:
    """Fixed one-minute windows per endpoint, like the hosted API's 120 requests per minute."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def check(self, key: str, now: float) -> tuple[bool, dict[str, str]]:
        with self._lock:
            start, used = self._counts.get(key, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            allowed = used < self.limit
            used += 1 if allowed else 0
            self._counts[key] = (start, used)
        reset = max(0, int(start + self.window - now + 0.999))
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.limit - used),
                   "X-RateLimit-Reset": str(reset)}
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def add(self, method: str, path: str, name: str, start: float, end: float, status: int) -> None:
        with self._lock:
            self._entries.append({"method": method, "path": path, "endpoint": name, "start": start,
                                  "end": end, "status": status})

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def read_request(handler: BaseHTTPRequestHandler) -> Request:
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    headers = {k.lower(): v for k, v in handler.headers.items()}
    return Request(handler.command, parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body)


def write_response(handler: BaseHTTPRequestHandler, response: Response) -> None:
    handler.send_response(response.status)
    if response.content_type:
        handler.send_header("Content-Type", response.content_type)
    handler.send_header("Content-Length", str(len(response.body)))
    for name, value in response.headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(response.body)


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in routes:
        match = candidate.pattern.match(path)
        if match and candidate.method == method:
            return candidate, match.groupdict()
    return None


def now() -> float:
    return time.time()
