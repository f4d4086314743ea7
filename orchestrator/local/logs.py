"""Log rows of the local target and the query contract of the simulator's logs endpoints.

The gateway appends rows (`function_logs`: a function's console output and boot errors;
`function_edge_logs`: one per request, with its status code) to `logs.jsonl` in the state dir.

Query contract. `GET /v1/projects/{ref}/analytics/endpoints/logs` (what supabase 3.x `logs`
calls) and `.../logs.all` (what our Management API client calls; the hosted API answers 410
there nowadays) take `sql`, `iso_timestamp_start` and `iso_timestamp_end` (default: the last
minute). No SQL engine runs: the simulator reads these filters out of the SQL text:

- source: `from function_logs` / `from function_edge_logs` (dashboard queries), or
  `source = 'x'` terms (the CLI's `from logs where (source = 'a' or source = 'b')`);
- function: `function_id = '<id>'`, `metadata.function_id = ...`, `log_attributes['function_id'] = ...`;
- level: `level = 'error'`, or the CLI's `(multiIf(...)) in ('error', 'warn')`;
- status: `status_code >= N` (e.g. the dashboard's `response.status_code >= 500`);
- text: `positionCaseInsensitiveUTF8(event_message, 'x') > 0`;
- `limit N` (default 100); rows come newest first.

Each result row carries both vocabularies: the CLI's (`id`, `ts_ms`, `source`, `severity_text`,
`level`, `event_message`, `log_attributes` with string values) and the dashboard's flattened
columns (`timestamp` in microseconds, `function_id`, `execution_id`, `version`, `event_type`,
`status_code`, `method`, `pathname`, `execution_time_ms`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class LogQuery:
    sources: frozenset[str] = frozenset()
    function_id: str | None = None
    levels: frozenset[str] = frozenset()
    min_status: int | None = None
    search: str | None = None
    limit: int = DEFAULT_LIMIT
    start: float = 0.0
    end: float = float("inf")


class LogBook:
    """Append-only JSON lines file; readers scan it (the local target logs little)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, source: str, function_id: str, level: str, message: str, **attrs: Any) -> None:
        row = {"id": str(uuid.uuid4()), "ts": time.time(), "source": source, "function_id": function_id,
               "level": level, "event_message": message, **attrs}
        with self._lock, self.path.open("a") as out:
            out.write(json.dumps(row) + "\n")

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def query(self, q: LogQuery) -> list[dict[str, Any]]:
        found = [r for r in self.rows() if _matches(r, q)]
        found.sort(key=lambda r: r["ts"], reverse=True)
        return [api_row(r) for r in found[: q.limit]]


def _matches(row: dict[str, Any], q: LogQuery) -> bool:
    return (
        (not q.sources or row["source"] in q.sources)
        and (q.function_id is None or row["function_id"] == q.function_id)
        and (not q.levels or row["level"] in q.levels)
        and (q.min_status is None or int(row.get("status_code") or 0) >= q.min_status)
        and (q.search is None or q.search.lower() in row["event_message"].lower())
        and q.start <= row["ts"] <= q.end
    )


def api_row(row: dict[str, Any]) -> dict[str, Any]:
    attrs = {k: str(v) for k, v in row.items() if k not in ("id", "ts", "event_message") and v is not None}
    if "status_code" in row:
        attrs["response.status_code"] = str(row["status_code"])
    flat = {k: row.get(k) for k in ("function_id", "execution_id", "version", "status_code", "method",
                                    "pathname", "execution_time_ms", "event_type")}
    return {
        "id": row["id"], "ts_ms": int(row["ts"] * 1000), "timestamp": int(row["ts"] * 1_000_000),
        "source": row["source"], "severity_text": row["level"].upper(), "level": row["level"],
        "event_message": row["event_message"], "log_attributes": attrs, **flat,
    }


# -- reading filters out of SQL ------------------------------------------------------------------

_QUOTED = r"'((?:[^']|'')*)'"


def _unquote(text: str) -> str:
    return text.replace("''", "'").replace("\\\\", "\\")


def _strip_multiif(sql: str) -> str:
    """Replace each balanced `multiIf(...)` (the CLI's level expression) by the word LEVEL."""
    out, i = [], 0
    while (start := sql.find("multiIf(", i)) != -1:
        out.append(sql[i:start])
        depth, j = 0, start + len("multiIf")
        while j < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
            if depth == 0:
                break
        out.append("LEVEL")
        i = j
    return "".join(out) + sql[i:]


def _levels(sql: str) -> frozenset[str]:
    found = {m.group(1) for m in re.finditer(r"level\s*=\s*'(\w+)'", sql, re.IGNORECASE)}
    for m in re.finditer(r"LEVEL\)?\s+in\s*\(([^)]*)\)", sql):
        found |= set(re.findall(r"'(\w+)'", m.group(1)))
    return frozenset("warn" if v == "warning" else v.lower() for v in found)


def _sources(sql: str) -> frozenset[str]:
    found = set(re.findall(r"\bsource\s*=\s*'(\w+)'", sql, re.IGNORECASE))
    table = re.search(r"\bfrom\s+(\w+)", sql, re.IGNORECASE)
    if table and table.group(1).lower() != "logs":
        found.add(table.group(1).lower())
    return frozenset(found)


def _epoch(value: str | None, default: float) -> float:
    if not value:
        return default
    return datetime.fromisoformat(value).timestamp()


def parse_query(sql: str, start: str | None, end: str | None, now: float) -> LogQuery:
    text = _strip_multiif(sql)
    fn = re.search(r"function_id'?\]?\s*=\s*" + _QUOTED, text)
    status = re.search(r"status_code\s*>=\s*(\d+)", text)
    search = re.search(r"positionCaseInsensitiveUTF8\(\s*event_message\s*,\s*" + _QUOTED, text)
    limit = re.search(r"\blimit\s+(\d+)", text, re.IGNORECASE)
    begin = _epoch(start, now - 60)
    # A second of slack: callers send whole-second ISO times, rows carry fractions.
    return LogQuery(
        sources=_sources(text), function_id=_unquote(fn.group(1)) if fn else None, levels=_levels(text),
        min_status=int(status.group(1)) if status else None,
        search=_unquote(search.group(1)) if search else None,
        limit=int(limit.group(1)) if limit else DEFAULT_LIMIT,
        start=begin - 1, end=_epoch(end, now) + 1,
    )
