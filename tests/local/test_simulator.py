"""The simulator's contract: auth, unknown projects, faults, rate limits, request log, SQL, log filters."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrator.jsonc import strip_jsonc
from orchestrator.local.api import SimConfig
from orchestrator.local.logs import LogBook, LogEngine, LogQueryError, RangeError, Window, window
from orchestrator.local.simulator import Simulator, handler_class
from orchestrator.local.target import LocalTarget
from tests.local.conftest import run_cli, write_function


def _get(target: LocalTarget, path: str, token: str | None = None) -> httpx.Response:
    return httpx.get(f"{target.api_url}{path}", headers={"Authorization": f"Bearer {token or target.access_token}"})


def test_bad_token_is_401_for_api_and_cli(local_target: LocalTarget, project: Path) -> None:
    ref = local_target.project_ref
    assert _get(local_target, f"/v1/projects/{ref}", token="sbp_" + "0" * 40).status_code == 401
    assert httpx.get(f"{local_target.api_url}/v1/projects/{ref}").status_code == 401
    assert _get(local_target, "/_sim/functions", token="nope").status_code == 401
    target_env = local_target.settings
    local_target.settings = {**target_env, "access_token": "sbp_" + "0" * 40}
    try:
        result = run_cli(local_target, project, "functions", "list", "--project-ref", ref, check=False)
    finally:
        local_target.settings = target_env
    assert result.returncode != 0


def test_unknown_project_is_404(local_target: LocalTarget, project: Path) -> None:
    assert _get(local_target, "/v1/projects/zzzzzzzzzzzzzzzzzzzz/functions").status_code == 404
    result = run_cli(local_target, project, "functions", "list", "--project-ref", "zzzzzzzzzzzzzzzzzzzz", check=False)
    assert result.returncode != 0


def test_injected_failures_hit_the_next_n_calls_then_stop(local_target: LocalTarget) -> None:
    path = f"/v1/projects/{local_target.project_ref}/secrets"
    local_target.client.inject_fault("GET", "/v1/projects/*/secrets", count=2, status=503)
    assert [_get(local_target, path).status_code for _ in range(3)] == [503, 503, 200]


def test_injected_latency_shows_in_the_request_log(local_target: LocalTarget) -> None:
    path = f"/v1/projects/{local_target.project_ref}/health"
    local_target.client.inject_fault("GET", path, status=None, latency=0.3)
    assert _get(local_target, path + "?services=db").status_code == 200
    entry = [e for e in local_target.client.request_log() if e["path"] == path][-1]
    assert entry["end"] - entry["start"] >= 0.3


def test_an_injected_hang_outlasts_the_client(local_target: LocalTarget) -> None:
    path = f"/v1/projects/{local_target.project_ref}/api-keys"
    local_target.client.inject_fault("GET", path, status=None, hang=True)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{local_target.api_url}{path}", timeout=0.5,
                  headers={"Authorization": f"Bearer {local_target.access_token}"})
    assert _get(local_target, path).status_code == 200  # the fault was used up


def test_a_failing_deploy_makes_the_cli_fail_and_stores_nothing(local_target: LocalTarget, project: Path) -> None:
    write_function(project, "flaky", 'Deno.serve(() => new Response("x"));\n')
    local_target.client.inject_fault("POST", "/v1/projects/*/functions/deploy", count=5, status=500)
    result = run_cli(local_target, project, "functions", "deploy", "flaky", "--project-ref",
                     local_target.project_ref, "--use-api", "--yes", check=False)
    local_target.client.clear_faults()
    assert result.returncode != 0
    assert local_target.client.function_versions("flaky") == []


def test_request_log_orders_calls_with_start_and_end(local_target: LocalTarget) -> None:
    local_target.client.clear_request_log()
    for _ in range(3):
        _get(local_target, f"/v1/projects/{local_target.project_ref}")
    log = local_target.client.request_log()
    assert [e["endpoint"] for e in log] == ["projects.get"] * 3
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(log))


def test_database_query_runs_on_the_local_postgres(local_target: LocalTarget) -> None:
    response = httpx.post(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/database/query",
                          json={"query": "select 1 as one, 'x' as letter union all select 2, 'y' order by 1"},
                          headers={"Authorization": f"Bearer {local_target.access_token}"})
    assert response.status_code == 201
    assert response.json() == [{"one": 1, "letter": "x"}, {"one": 2, "letter": "y"}]
    bad = httpx.post(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/database/query",
                     json={"query": "select * from no_such_table"},
                     headers={"Authorization": f"Bearer {local_target.access_token}"})
    assert bad.status_code == 400 and "no_such_table" in bad.json()["message"]


@pytest.fixture()
def small_sim(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """An in-process simulator with a limit of 3 requests per endpoint per minute."""
    config = SimConfig("abcdefghijklmnopqrst", "sbp_" + "1" * 40, "anon", "service", "postgresql://unused",
                       5432, "")
    sim = Simulator(config, tmp_path / "sim", rate_limit=3)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(sim))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", config.access_token
    finally:
        sim.stopping.set()
        server.shutdown()
        server.server_close()


def test_rate_limit_answers_429_with_headers(small_sim: tuple[str, str]) -> None:
    url, token = small_sim
    auth = {"Authorization": f"Bearer {token}"}
    answers = [httpx.get(f"{url}/v1/projects/abcdefghijklmnopqrst/secrets", headers=auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].headers["X-RateLimit-Limit"] == "3"
    assert 0 < int(answers[3].headers["X-RateLimit-Reset"]) <= 60
    # Limits are per endpoint: another endpoint is still open.
    assert httpx.get(f"{url}/v1/projects/abcdefghijklmnopqrst", headers=auth).status_code == 200


def _book(tmp_path: Path, *rows: tuple[str, str, str, str, dict[str, Any]]) -> LogEngine:
    book = LogBook(tmp_path / "logs.jsonl")
    for source, fid, level, message, attrs in rows:
        book.append(source, fid, level, message, **attrs)
    return LogEngine(book)


def _span(hours_ago: float = 0) -> Window:
    """Two minutes either side of now (computed per test: collection can be minutes earlier)."""
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    return Window(at - timedelta(minutes=2), at + timedelta(minutes=2))


def test_logs_engine_runs_the_clis_clickhouse_sql(tmp_path: Path) -> None:
    """The SQL `supabase logs --service functions --level error --resource ID` sends (CLI 3.1.0)."""
    engine = _book(tmp_path, ("function_logs", "f'1", "error", "boom", {"version": "3"}),
                   ("function_logs", "f'1", "log", "fine", {}), ("function_logs", "other", "error", "boom", {}),
                   ("function_edge_logs", "f'1", "error", "POST | 500", {"status_code": 500, "method": "POST"}))
    level = ("multiIf(source = 'function_logs', multiIf(lower(log_attributes['level']) in ('error','fatal'), "
             "'error', lower(log_attributes['level'])), source = 'function_edge_logs', "
             "multiIf(toInt32OrZero(log_attributes['response.status_code']) >= 500, 'error', 'info'), '')")
    sql = (f"select id, toUnixTimestamp64Milli(timestamp) as ts_ms, source, severity_text, {level} as level, "
           "event_message, log_attributes from logs where (source = 'function_logs' or source = "
           "'function_edge_logs') and log_attributes['function_id'] = 'f''1' and "
           f"({level}) in ('error') and positionCaseInsensitiveUTF8(event_message, 'BOOM') > 0")
    rows = engine.query(sql, _span())
    assert [(r["event_message"], r["level"], r["source"], r["severity_text"]) for r in rows] == [
        ("boom", "error", "function_logs", "ERROR")]
    assert isinstance(rows[0]["ts_ms"], int) and rows[0]["log_attributes"]["version"] == "3"
    edge = engine.query("select log_attributes from logs where source = 'function_edge_logs'", _span())
    assert edge[0]["log_attributes"]["response.status_code"] == "500"
    assert edge[0]["log_attributes"]["request.method"] == "POST"


@pytest.mark.parametrize("sql, message", [
    ("select id, metadata.level from function_logs", "UNKNOWN_TABLE"),  # the retired BigQuery tables
    ("select id from logs cross join unnest(metadata) as m", "only the logs table"),
    ("select id from logs where", "SYNTAX_ERROR"),
    ("select * from file('/etc/passwd')", "only the logs table"),
    ("select id from logs where id in (select name from system.tables)", "only the logs table"),
    ("insert into logs (id) values ('x')", "only SELECT"),
    ("drop table logs", "only SELECT"),
])
def test_logs_engine_refuses_what_hosted_refuses(tmp_path: Path, sql: str, message: str) -> None:
    engine = _book(tmp_path, ("function_logs", "f", "error", "boom", {}))
    with pytest.raises(LogQueryError, match=message):
        engine.query(sql, _span())
    assert len(engine.query("select id from logs", _span())) == 1  # and the table is intact


def test_logs_engine_only_sees_the_window(tmp_path: Path) -> None:
    engine = _book(tmp_path, ("function_logs", "f", "error", "boom", {}))
    past = _span(hours_ago=2)
    assert engine.query("select id from logs", past) == []
    assert len(engine.query("select id from logs", _span())) == 1


def test_window_defaults_rounds_and_limits_like_hosted() -> None:
    now = datetime(2026, 1, 1, 12, 0, 40, tzinfo=UTC)
    assert window(None, None, now) == Window(datetime(2026, 1, 1, 11, 59, tzinfo=UTC),
                                             datetime(2026, 1, 1, 12, 1, tzinfo=UTC))
    assert window("2026-01-01T11:00:45Z", "2026-01-01T11:05:10Z", now) == Window(
        datetime(2026, 1, 1, 11, 0, tzinfo=UTC), datetime(2026, 1, 1, 11, 6, tzinfo=UTC))
    assert window("2026-01-01T11:00:00Z", "2026-01-01T11:05:00Z", now) == Window(
        datetime(2026, 1, 1, 11, 0, tzinfo=UTC), datetime(2026, 1, 1, 11, 5, tzinfo=UTC))
    with pytest.raises(RangeError, match="24 hours"):
        window("2026-01-01T00:00:00Z", "2026-01-02T00:01:00Z", now)
    with pytest.raises(RangeError, match="invalid ISO"):
        window("yesterday", None, now)


def test_retired_logs_all_answers_410_and_logs_answers_query_errors_in_the_body(local_target: LocalTarget) -> None:
    base = f"/v1/projects/{local_target.project_ref}/analytics/endpoints"
    assert _get(local_target, f"{base}/logs.all?sql=select+1").status_code == 410
    bad = _get(local_target, f"{base}/logs?sql=select+id+from+function_logs")
    assert bad.status_code == 200 and bad.json()["error"]["message"].startswith("Code: 60")
    too_long = _get(local_target, f"{base}/logs?iso_timestamp_start=2026-01-01T00:00:00Z"
                                  "&iso_timestamp_end=2026-01-03T00:00:00Z")
    assert too_long.status_code == 400


def test_jsonc_comments_and_trailing_commas_go_strings_stay() -> None:
    text = '{\n // c\n "imports": {"a/": "./x//y/", /* z */ "b": "c,}", // last\n },\n}'
    assert json.loads(strip_jsonc(text)) == {"imports": {"a/": "./x//y/", "b": "c,}"}}
