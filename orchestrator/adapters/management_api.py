"""The one module that speaks HTTP to the Supabase Management API.

Imported lazily (httpx and tenacity are slow to import; `orchestrator --help` must stay fast).

- Auth: `Authorization: Bearer <token>`; the token never appears in a message, repr or log.
- Retries (tenacity): 429, 5xx, timeouts and connection errors, with exponential backoff that
  honours `Retry-After` and `X-RateLimit-Reset`. Non-idempotent calls (POST database/query) are
  retried only when the server cannot have acted on them (429, 503, connect errors).
- Pacing: at most `rate_limit` requests per `rate_window` seconds per endpoint (method + path
  template), a sliding window, so we stay under the platform's limit instead of hitting 429s.
  https://supabase.com/docs/guides/platform/management-api (rate limits)
- Errors: `orchestrator.errors.ApiError` naming method, endpoint template, status and the API's message.

Shapes follow the OpenAPI document vendored by supabase/cli (packages/api/src/generated/openapi.json).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import quote

import httpx
import tenacity

from orchestrator.adapters.cli_profile import DEFAULT_API_URL
from orchestrator.errors import ApiError, InputError
from orchestrator.redact import Redactor

log = logging.getLogger(__name__)

RATE_LIMIT = 120  # requests per endpoint per window (client-side pacing)
RATE_WINDOW = 60.0  # seconds
MAX_ATTEMPTS = 5
MAX_WAIT = 60.0  # cap on one retry wait, whatever the server's headers say

# The log check reads GET /v1/projects/{ref}/analytics/endpoints/logs: ClickHouse SQL over one
# `logs` table (id, timestamp, source, severity_text, event_message, log_attributes Map(String,
# String)). The older `logs.all` (BigQuery dialect) answers 410 Gone since the migration:
# https://supabase.com/changelog/48235-migration-of-supabase-management-api-logs-all-analytics-endpoint-to-logs-endpoint
# `level` is derived the way `supabase logs --service functions --level error` derives it
# (supabase CLI 3.1.0): function_logs by log_attributes['level'], function_edge_logs by the
# response status (>= 500 is an error). Errors sort first so `limit` never hides one.
LOG_LEVEL_SQL = (
    "multiIf(source = 'function_edge_logs', multiIf("
    "toInt32OrZero(log_attributes['response.status_code']) >= 500, 'error', "
    "toInt32OrZero(log_attributes['response.status_code']) >= 400, 'warn', 'info'), "
    "lower(log_attributes['level']) in ('error', 'fatal'), 'error', "
    "lower(log_attributes['level']) in ('warn', 'warning'), 'warn', "
    "lower(log_attributes['level']))"
)
FUNCTION_LOGS_SQL = (
    "select id, toUnixTimestamp64Milli(timestamp) as ts_ms, source, severity_text, "
    f"{LOG_LEVEL_SQL} as level, event_message, log_attributes\n"
    "from logs\n"
    "where (source = 'function_logs' or source = 'function_edge_logs')"
    " and log_attributes['function_id'] = {function_id}\n"
    "order by level = 'error' desc, timestamp desc\n"
    "limit {limit}"
)
LOGS_ENDPOINT = "/v1/projects/{ref}/analytics/endpoints/logs"
LOG_SOURCES = ("function_logs", "function_edge_logs")
MAX_LOG_RANGE = timedelta(hours=24)  # the endpoint refuses longer ranges

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_HINTS = {
    401: "the access token from {token_source} was rejected (expired, revoked, or for another account?)",
    403: "the access token has no permission on this project",
    404: "check the project ref (and the API URL)",
}

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Project:
    ref: str
    name: str
    status: str
    region: str = ""
    organization_id: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class ApiKey:
    name: str
    api_key: str | None = field(default=None, repr=False)  # may be a secret (service_role)
    type: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class FunctionInfo:
    id: str
    slug: str
    name: str
    status: str
    version: int
    updated_at: int  # milliseconds since the epoch, as the API returns it
    created_at: int = 0
    verify_jwt: bool | None = None
    ezbr_sha256: str | None = None
    entrypoint_path: str | None = None


@dataclass(frozen=True)
class LogRow:
    """One row of the unified `logs` table: a function's console line (`function_logs`) or one
    of its requests (`function_edge_logs`, with status code and method)."""

    id: str
    timestamp: datetime
    source: str
    event_message: str
    level: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def function_id(self) -> str | None:
        return self.attributes.get("function_id")

    @property
    def version(self) -> str | None:
        return self.attributes.get("version")

    @property
    def status_code(self) -> int | None:
        value = self.attributes.get("response.status_code", "")
        return int(value) if value.isdigit() else None

    @property
    def method(self) -> str | None:
        return self.attributes.get("request.method")

    @property
    def is_error(self) -> bool:
        return self.level == "error"


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    status: str
    healthy: bool


class _Retryable(Exception):
    """An attempt failed in a way worth retrying; carries what the final ApiError needs."""

    def __init__(self, status: int | None, detail: str, wait: float | None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.wait = status, detail, wait


class SlidingWindowPacer:
    """At most `limit` requests per `window` seconds per key; waits (via `sleep`) for a free slot."""

    def __init__(self, limit: int, window: float, clock: Clock, sleep: Sleep) -> None:
        self.limit, self.window, self._clock, self._sleep = limit, window, clock, sleep
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until = 0.0

    def block_until(self, when: float) -> None:
        """The server said the quota is spent (X-RateLimit-Remaining: 0) until `when`."""
        self._blocked_until = max(self._blocked_until, when)

    def acquire(self, key: str) -> None:
        sent = self._sent.setdefault(key, deque())
        while True:
            now = self._clock()
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            wait = max(self._blocked_until - now, sent[0] + self.window - now if len(sent) >= self.limit else 0)
            if wait <= 0:
                sent.append(now)
                return
            log.debug("pacing %s: waiting %.2fs", key, wait)
            self._sleep(wait)


def _reset_delay(value: str, now_epoch: float) -> float | None:
    """`X-RateLimit-Reset` as seconds to wait. Accepts epoch seconds or ms, or a delay in s or ms
    (a one-minute window never needs more than 60 s, so larger small numbers are milliseconds)."""
    try:
        number = float(value)
    except ValueError:
        return None
    if number > 1e12:
        return number / 1000 - now_epoch
    if number > 1e9:
        return number - now_epoch
    return number / 1000 if number > RATE_WINDOW * 2 else number


def _server_wait(headers: httpx.Headers, now_epoch: float, status: int) -> float | None:
    """Retry-After, else (for a 429 only) X-RateLimit-Reset. Hosted sends X-RateLimit-* on every
    answer, errors included: read on a 5xx it would turn each retry into a wait for the window."""
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass  # an HTTP-date: fall through to the reset header or backoff
    reset = headers.get("x-ratelimit-reset")
    delay = _reset_delay(reset, now_epoch) if reset is not None and status == 429 else None
    return None if delay is None else max(0.0, delay)


def _error_detail(response: httpx.Response, redact: Callable[[str], str]) -> str:
    """The message of an error answer, redacted before it is cut (a cut secret is no longer found)."""
    try:
        body = response.json()
    except ValueError:
        return redact(response.text.strip())[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "msg", "error", "error_description"):
            if isinstance(body.get(key), str) and body[key]:
                return redact(str(body[key]))[:300]
    return redact(str(body))[:300]


def _iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z; naive datetimes are taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Unreadable(ValueError):
    """A logs row that does not have the documented shape."""


def _log_time(row: Mapping[str, Any]) -> datetime:
    """`ts_ms` (what we select), else ClickHouse's `timestamp` text, which is UTC without a zone."""
    ts_ms = row.get("ts_ms")
    if isinstance(ts_ms, int | float) and not isinstance(ts_ms, bool):
        return datetime.fromtimestamp(ts_ms / 1000, UTC)
    if isinstance(ts_ms, str) and ts_ms.isdigit():  # 64-bit integers may come quoted
        return datetime.fromtimestamp(int(ts_ms) / 1000, UTC)
    text = row.get("timestamp")
    if isinstance(text, str) and text:
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise _Unreadable(f"timestamp {text[:40]!r}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise _Unreadable("no ts_ms or timestamp")


def _log_row(row: Any) -> LogRow:
    if not isinstance(row, Mapping):
        raise _Unreadable(f"a row is {type(row).__name__}, not an object")
    attrs = row.get("log_attributes")
    if not isinstance(attrs, Mapping):
        raise _Unreadable("no log_attributes map")
    source = row.get("source")
    if source not in LOG_SOURCES:
        raise _Unreadable(f"source {source!r}")
    return LogRow(id=str(row.get("id", "")), timestamp=_log_time(row), source=str(source),
                  event_message=str(row.get("event_message", "")), level=str(row.get("level") or "").lower(),
                  attributes={str(k): "" if v is None else str(v) for k, v in attrs.items()})


def _minute_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _minute_ceil(moment: datetime) -> datetime:
    floor = _minute_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + timedelta(minutes=1)


def _sql_string(value: str) -> str:
    """A ClickHouse string literal (backslash and quote escaped, as the supabase CLI does)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _function_info(data: Mapping[str, Any]) -> FunctionInfo:
    return FunctionInfo(
        id=str(data["id"]),
        slug=str(data["slug"]),
        name=str(data.get("name", data["slug"])),
        status=str(data.get("status", "")),
        version=int(data.get("version", 0)),
        updated_at=int(data.get("updated_at", 0)),
        created_at=int(data.get("created_at", 0)),
        verify_jwt=data.get("verify_jwt"),
        ezbr_sha256=data.get("ezbr_sha256"),
        entrypoint_path=data.get("entrypoint_path"),
    )


class ManagementApi:
    """A client for one API base URL and token. Use as a context manager or call `close()`."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_API_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = MAX_ATTEMPTS,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        token_source: str = "SUPABASE_ACCESS_TOKEN",
        redactor: Redactor | None = None,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        if not token:
            raise InputError(f"{token_source} is not set: create a token at "
                             "https://supabase.com/dashboard/account/tokens and export it")
        self.token_source = token_source  # where the token came from, for the 401 message
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        # the caller's redactor: keys this client reads must vanish from the console and journal too
        self._redact = redactor if redactor is not None else Redactor()
        self._redact.add(token)
        self._sleep, self._clock, self._wall = sleep, clock, wall_clock
        self._trace = trace  # --debug: one line per request
        self.pacer = SlidingWindowPacer(rate_limit, rate_window, clock, sleep)
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "supabase-orchestrator"},
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str], api_url: str | None = None, **kwargs: Any) -> ManagementApi:
        """Token from SUPABASE_ACCESS_TOKEN; URL from ORCHESTRATOR_API_URL, else `api_url`, else default."""
        url = env.get("ORCHESTRATOR_API_URL") or api_url or DEFAULT_API_URL
        return cls(env.get("SUPABASE_ACCESS_TOKEN", ""), url, **kwargs)

    def __repr__(self) -> str:
        return f"ManagementApi(base_url={self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the endpoints -------------------------------------------------------------------------

    def get_project(self, ref: str) -> Project:
        data = self._json("GET", "/v1/projects/{ref}", ref=ref)
        return Project(
            ref=str(data["ref"]), name=str(data.get("name", "")), status=str(data.get("status", "")),
            region=str(data.get("region", "")), organization_id=str(data.get("organization_id", "")),
            created_at=str(data.get("created_at", "")),
        )

    def api_keys(self, ref: str) -> list[ApiKey]:
        rows = self._json("GET", "/v1/projects/{ref}/api-keys", ref=ref)
        keys = [ApiKey(str(r["name"]), r.get("api_key"), r.get("type"), r.get("id")) for r in rows]
        self._redact.add(*(k.api_key for k in keys if k.api_key))  # secrets from the moment they are read
        return keys

    def anon_key(self, ref: str) -> str:
        """The JWT smoke calls send to a function with verify_jwt: the legacy `anon` key.

        A publishable key (`sb_publishable_...`) is not a JWT; hosted's functions gateway refuses it
        in `Authorization` (https://supabase.com/docs/guides/functions/auth-headers), so it is
        never offered here: without legacy keys the caller must give its own Authorization header.
        """
        anon = [k.api_key for k in self.api_keys(ref) if k.name == "anon" and k.type in (None, "legacy")]
        if anon and anon[0]:
            return anon[0]
        raise ApiError("GET", "/v1/projects/{ref}/api-keys", 200,
                       f"project {ref} has no legacy anon JWT (legacy API keys disabled?); set "
                       "checks.smoke.headers.Authorization to a JWT, or deploy the function with verify_jwt = false")

    def list_functions(self, ref: str) -> list[FunctionInfo]:
        return [_function_info(f) for f in self._json("GET", "/v1/projects/{ref}/functions", ref=ref)]

    def get_function(self, ref: str, slug: str) -> FunctionInfo | None:
        """The deployed function, or None when it is not deployed (404)."""
        response = self._call("GET", "/v1/projects/{ref}/functions/{slug}", {"ref": ref, "slug": slug},
                              allow_404=True)
        return None if response.status_code == 404 else _function_info(response.json())

    def delete_function(self, ref: str, slug: str) -> bool:
        """True if deleted, False if it was not deployed."""
        response = self._call("DELETE", "/v1/projects/{ref}/functions/{slug}", {"ref": ref, "slug": slug},
                              allow_404=True)
        return response.status_code != 404

    def function_body(self, ref: str, slug: str) -> bytes:
        """The deployed bundle (eszip) as the API returns it."""
        return self._call("GET", "/v1/projects/{ref}/functions/{slug}/body", {"ref": ref, "slug": slug}).content

    def secret_digests(self, ref: str) -> dict[str, str]:
        """name -> the SHA-256 hex digest of its value, as the API lists it (never the value)."""
        rows = self._json("GET", "/v1/projects/{ref}/secrets", ref=ref)
        return {str(s["name"]): str(s.get("value", "")) for s in rows if isinstance(s, dict) and "name" in s}

    def list_secrets(self, ref: str) -> list[str]:
        """Secret names only: the values (digests) are dropped here so they can't leak further."""
        return sorted(str(s["name"]) for s in self._json("GET", "/v1/projects/{ref}/secrets", ref=ref))

    def run_query(self, ref: str, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """`params` go as the body's `parameters` (hosted binds them to $1..$n), never into the text."""
        body_in: dict[str, Any] = {"query": sql}
        if params:
            body_in["parameters"] = list(params)
        response = self._call("POST", "/v1/projects/{ref}/database/query", {"ref": ref}, json=body_in)
        body = response.json() if response.content else []
        return [dict(row) for row in body] if isinstance(body, list) else []

    def function_logs(self, ref: str, *, function_id: str, start: datetime, end: datetime,
                      limit: int = 1000) -> list[LogRow]:
        """Console lines and requests of one function between start and end, errors first.

        The endpoint rounds its range to whole minutes, so we ask for the minutes around the
        window and drop what lies outside it here. Raises ApiError if the query fails or a row
        is unreadable (a check must then say "could not read the logs", never "no errors").
        """
        sql = FUNCTION_LOGS_SQL.format(function_id=_sql_string(function_id), limit=int(limit))
        begin = max(start, end - MAX_LOG_RANGE)
        query = {"sql": sql, "iso_timestamp_start": _iso(_minute_floor(begin)),
                 "iso_timestamp_end": _iso(_minute_ceil(end))}
        body = self._json("GET", LOGS_ENDPOINT, ref=ref, _query=query)
        rows = self._log_result(body)
        try:
            parsed = [_log_row(r) for r in rows]
        except _Unreadable as exc:
            raise ApiError("GET", LOGS_ENDPOINT, 200, f"unreadable log row: {exc}") from None
        return [r for r in parsed if begin <= r.timestamp <= end]

    def health(self, ref: str, services: Sequence[str] = ("db", "rest")) -> list[ServiceHealth]:
        rows = self._json("GET", "/v1/projects/{ref}/health", ref=ref, _query={"services": list(services)})
        return [ServiceHealth(str(r["name"]), str(r.get("status", "")), bool(r.get("healthy", False)))
                for r in rows]

    # -- plumbing ------------------------------------------------------------------------------

    def _log_result(self, body: Any) -> list[Any]:
        if not isinstance(body, Mapping):
            raise ApiError("GET", LOGS_ENDPOINT, 200, "unreadable response: not a JSON object")
        error = body.get("error")
        if error:
            detail = error.get("message", str(error)) if isinstance(error, Mapping) else str(error)
            raise ApiError("GET", LOGS_ENDPOINT, 200, f"log query failed: {self._redact(str(detail))[:300]}")
        result = body.get("result")
        if result is None:
            return []
        if not isinstance(result, list):
            raise ApiError("GET", LOGS_ENDPOINT, 200, "unreadable response: result is not a list")
        return result

    def _json(self, method: str, template: str, _query: Mapping[str, Any] | None = None, **path: str) -> Any:
        return self._call(method, template, path, params=_query).json()

    def _call(
        self, method: str, template: str, path: Mapping[str, str], *,
        params: Mapping[str, Any] | None = None, json: Any = None, allow_404: bool = False,
    ) -> httpx.Response:
        url = template.format(**{k: quote(v, safe="") for k, v in path.items()})
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(method, template, url, params, json, allow_404)
        except _Retryable as last:
            detail = f"{last.detail} (gave up after {self.max_attempts} attempts)"
            raise ApiError(method, template, last.status, detail) from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity either returns or raises

    def _attempt(
        self, method: str, template: str, url: str,
        params: Mapping[str, Any] | None, json: Any, allow_404: bool,
    ) -> httpx.Response:
        idempotent = method in _IDEMPOTENT
        self.pacer.acquire(f"{method} {template}")
        started = self._clock()
        try:
            response = self._http.request(method, url, params=params, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Retryable(None, self._describe(exc), None) from None
        except httpx.TransportError as exc:  # read timeouts etc.: the server may have acted
            if idempotent:
                raise _Retryable(None, self._describe(exc), None) from None
            raise ApiError(method, template, None, self._describe(exc)) from None
        log.debug("%s %s -> %s", method, template, response.status_code)
        if self._trace is not None:
            self._trace(f"api | {method} {url} -> {response.status_code} ({self._clock() - started:.2f}s)")
        self._note_quota(response)
        return self._check(method, template, response, idempotent, allow_404)

    def _check(
        self, method: str, template: str, response: httpx.Response, idempotent: bool, allow_404: bool,
    ) -> httpx.Response:
        status = response.status_code
        if status < 400 or (status == 404 and allow_404):
            return response
        detail = _error_detail(response, self._redact)
        if status == 429 or status == 503 or (status >= 500 and idempotent):
            raise _Retryable(status, detail, _server_wait(response.headers, self._wall(), status))
        hint = _HINTS.get(status, "").format(token_source=self.token_source)
        raise ApiError(method, template, status, f"{detail}; {hint}" if hint else detail)

    def _note_quota(self, response: httpx.Response) -> None:
        """Quota spent (`X-RateLimit-Remaining: 0`): hold every endpoint until the reset."""
        reset = response.headers.get("x-ratelimit-reset")
        if response.headers.get("x-ratelimit-remaining") != "0" or reset is None:
            return
        delay = _reset_delay(reset, self._wall())
        if delay and delay > 0:
            self.pacer.block_until(self._clock() + min(delay, MAX_WAIT))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retryable) and error.wait is not None:
            return min(error.wait, MAX_WAIT)
        return min(30.0, 0.5 * 2.0 ** (int(state.attempt_number) - 1))  # 0.5, 1, 2, 4 ... seconds

    def _describe(self, exc: Exception) -> str:
        return self._redact(f"{type(exc).__name__}: {exc}")
