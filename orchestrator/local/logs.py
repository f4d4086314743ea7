"""Log rows of the local target, and the logs endpoint's query engine: real ClickHouse.

The gateway appends rows to `logs.jsonl` in the state dir: `function_logs` (a function's console
output, boot errors) and `function_edge_logs` (one per request, with its status code), shaped
like hosted Supabase's unified `logs` table: `id`, `timestamp`, `source`, `severity_text`,
`event_message` and `log_attributes` (a String -> String map: function_id, level, version,
execution_id, event_type, response.status_code, request.method, request.pathname, ...).

`GET /v1/projects/{ref}/analytics/endpoints/logs` runs the caller's SQL on that table with
chDB (ClickHouse in-process), so a query that hosted ClickHouse would refuse is refused here too:
no SQL is read with patterns. Like hosted: `iso_timestamp_start`/`iso_timestamp_end` default to
the last minute, are widened to whole minutes, and may span at most 24 hours; only SELECTs
on `logs` are run. chDB is an optional dependency (`pip install 'supabase-orchestrator[local]'`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MAX_RANGE = timedelta(hours=24)
DEFAULT_RANGE = timedelta(minutes=1)
_ATTRIBUTE_NAMES = {"status_code": "response.status_code", "method": "request.method",
                    "pathname": "request.pathname"}
TABLE_DDL = ("create table logs (id String, timestamp DateTime64(6, 'UTC'), source LowCardinality(String), "
             "severity_text String, event_message String, log_attributes Map(String, String)) "
             "engine = MergeTree order by timestamp")
CHDB_MISSING = "the local target's logs endpoint needs chDB: pip install 'supabase-orchestrator[local]'"


class LogQueryError(Exception):
    """The query could not run (hosted answers these inside a 200 body, under `error`)."""


class RangeError(ValueError):
    """Bad iso_timestamp_start / iso_timestamp_end (hosted: a validation error)."""


class LogBook:
    """Append-only JSON lines file: the record `/_sim/logs` and tests read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, source: str, function_id: str, level: str, message: str, **attrs: Any) -> None:
        attributes = {_ATTRIBUTE_NAMES.get(k, k): str(v) for k, v in attrs.items() if v is not None}
        attributes["function_id"] = function_id
        if source == "function_logs":
            attributes["level"] = level
        row = {"id": str(uuid.uuid4()), "ts": time.time(), "source": source, "level": level,
               "severity_text": _severity(level), "event_message": message, "log_attributes": attributes}
        with self._lock, self.path.open("a") as out:
            out.write(json.dumps(row) + "\n")

    def rows(self) -> list[dict[str, Any]]:
        return self.read_from(0)[0]

    def read_from(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The rows written after byte `offset`, and the offset to read from next time."""
        if not self.path.exists():
            return [], offset
        with self._lock, self.path.open("rb") as src:
            src.seek(offset)
            data = src.read()
        return [json.loads(line) for line in data.splitlines() if line.strip()], offset + len(data)


def _severity(level: str) -> str:
    return {"warn": "WARNING", "log": "INFO"}.get(level, level.upper())


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(start: str | None, end: str | None, now: datetime) -> Window:
    """The queried range, as hosted computes it: default the last minute, rounded to minutes."""
    try:
        until = _parse(end) if end else now
        since = _parse(start) if start else until - DEFAULT_RANGE
    except ValueError as exc:
        raise RangeError(f"invalid ISO timestamp: {exc}") from None
    if until - since > MAX_RANGE:
        raise RangeError("the timestamp range must be no more than 24 hours")
    if until < since:
        raise RangeError("iso_timestamp_start must be before iso_timestamp_end")
    return Window(_floor_minute(since), _ceil_minute(until))


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# "Rounded to the nearest minute" (the endpoint's description) is read as widening: start down,
# end up. Rounding the end down would hide the newest rows from the supabase CLI's own `logs`
# (it asks up to now), which its authors test against hosted. Our client asks for whole minutes
# either way.
def _floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _ceil_minute(moment: datetime) -> datetime:
    floor = _floor_minute(moment)
    return floor if floor == moment else floor + timedelta(minutes=1)


class LogEngine:
    """The `logs` table in chDB, fed from the LogBook before each query."""

    def __init__(self, book: LogBook) -> None:
        self.book = book
        self._lock = threading.Lock()
        self._session: Any = None
        self._offset = 0  # of the LogBook file: rows before it are in the table

    def query(self, sql: str, span: Window) -> list[dict[str, Any]]:
        with self._lock:
            session = self._open()
            self._sync(session)
            _check_select_on_logs(session, sql)
            low, high = (_ch_time(t) for t in (span.start, span.end))
            window_filter = f"timestamp >= toDateTime64('{low}', 6, 'UTC') and timestamp <= toDateTime64('{high}', 6, 'UTC')"
            session.query("SET additional_table_filters = {'logs': " + _quote(window_filter) + "}")
            result = _run(session, sql, "JSON")
        return list(json.loads(result or "{}").get("data") or [])

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _open(self) -> Any:
        if self._session is None:
            try:
                from chdb import session as chdb_session  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                raise LogQueryError(CHDB_MISSING) from None
            self._session = chdb_session.Session()  # type: ignore[no-untyped-call,unused-ignore]
            self._session.query(TABLE_DDL)
        return self._session

    def _sync(self, session: Any) -> None:
        rows, self._offset = self.book.read_from(self._offset)
        if not rows:
            return
        lines = "\n".join(json.dumps({"id": r["id"], "timestamp": _ch_time(datetime.fromtimestamp(r["ts"], UTC)),
                                      "source": r["source"], "severity_text": r["severity_text"],
                                      "event_message": r["event_message"], "log_attributes": r["log_attributes"]})
                          for r in rows)
        session.query(f"INSERT INTO logs FORMAT JSONEachRow\n{lines}")


def _run(session: Any, sql: str, fmt: str) -> str:
    from chdb import ChdbError  # type: ignore[import-untyped,unused-ignore]

    try:
        return str(session.query(sql, fmt).bytes().decode())
    except ChdbError as exc:  # its text is ClickHouse's own message
        raise LogQueryError(_clean(str(exc))) from None


def _clean(message: str) -> str:
    return re.sub(r"\s*\(version [^)]*\)", "", message).strip()


def _ch_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


_TABLE_EXPRESSION = re.compile(r"^(\s*)TableExpression\b")


def _check_select_on_logs(session: Any, sql: str) -> None:
    """Only a SELECT (or WITH ... SELECT) reading `logs`: no table functions (file(), url(), ...),
    no other databases, no writes. Read off ClickHouse's own parse tree (EXPLAIN AST)."""
    tree = _run(session, f"EXPLAIN AST {sql}", "TSVRaw").splitlines()
    if not tree or not tree[0].startswith("SelectWithUnionQuery"):
        raise LogQueryError("only SELECT queries on the logs table are allowed")
    for i, line in enumerate(tree[:-1]):
        if _TABLE_EXPRESSION.match(line):
            child = tree[i + 1].strip()
            if child.startswith("TableIdentifier ") and "." not in child.removeprefix("TableIdentifier "):
                continue
            if child.startswith("Subquery"):
                continue
            raise LogQueryError(f"only the logs table can be queried, not {child.split(' (')[0]}")
