"""The Management API client against respx routes: request shapes, retries, pacing, secrecy."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from orchestrator.adapters.management_api import (
    FUNCTION_LOGS_SQL,
    ApiKey,
    FunctionInfo,
    ManagementApi,
)
from orchestrator.errors import ApiError, InputError

URL = "https://api.example.test"
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
REF = "abcdefghijklmnopqrst"
FN = {
    "id": "5b7e-uuid", "slug": "create-task", "name": "create-task", "status": "ACTIVE", "version": 7,
    "created_at": 1700000000000, "updated_at": 1700000500000, "verify_jwt": True,
    "import_map": False, "entrypoint_path": "file:///src/index.ts", "ezbr_sha256": "ab12",
}


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> Iterator[respx.Router]:
    r = respx.Router(base_url=URL, assert_all_called=False)
    yield r


def make_api(router: respx.Router, fake_time: FakeTime, **kwargs: Any) -> ManagementApi:
    return ManagementApi(TOKEN, URL, transport=httpx.MockTransport(router.handler), sleep=fake_time.sleep,
                         clock=fake_time.clock, wall_clock=fake_time.wall, **kwargs)


@pytest.fixture
def api(router: respx.Router, fake_time: FakeTime) -> ManagementApi:
    return make_api(router, fake_time)


# -- request shapes ---------------------------------------------------------------------------


def test_get_project_sends_bearer_token(router: respx.Router, api: ManagementApi) -> None:
    route = router.get(f"/v1/projects/{REF}").respond(200, json={
        "id": REF, "ref": REF, "name": "app", "region": "eu-west-1", "status": "ACTIVE_HEALTHY",
        "organization_id": "org", "created_at": "2024-01-01T00:00:00Z", "database": {}})
    project = api.get_project(REF)
    assert (project.ref, project.name, project.status) == (REF, "app", "ACTIVE_HEALTHY")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_api_keys_and_anon_key(router: respx.Router, api: ManagementApi) -> None:
    router.get(f"/v1/projects/{REF}/api-keys").respond(200, json=[
        {"name": "anon", "api_key": "eyJanon", "type": "legacy"},
        {"name": "service_role", "api_key": "eyJservice", "type": "legacy"},
    ])
    assert api.api_keys(REF)[1] == ApiKey("service_role", "eyJservice", "legacy")
    assert api.anon_key(REF) == "eyJanon"
    assert "eyJservice" not in repr(api.api_keys(REF))


def test_anon_key_is_the_legacy_jwt_never_a_publishable_key(router: respx.Router, api: ManagementApi) -> None:
    """Hosted's gateway refuses an API key in Authorization (not a JWT): offering one would make
    every smoke call of a verify_jwt function fail with 401."""
    route = router.get(f"/v1/projects/{REF}/api-keys")
    route.respond(200, json=[{"name": "default", "api_key": "sb_publishable_x", "type": "publishable"},
                             {"name": "anon", "api_key": "eyJanon", "type": "legacy"}])
    assert api.anon_key(REF) == "eyJanon"
    route.respond(200, json=[{"name": "default", "api_key": "sb_publishable_x", "type": "publishable"}])
    with pytest.raises(ApiError, match="no legacy anon JWT"):
        api.anon_key(REF)


def test_functions(router: respx.Router, api: ManagementApi) -> None:
    router.get(f"/v1/projects/{REF}/functions").respond(200, json=[FN, {**FN, "slug": "b", "id": "2"}])
    router.get(f"/v1/projects/{REF}/functions/create-task").respond(200, json=FN)
    router.get(f"/v1/projects/{REF}/functions/missing").respond(404, json={"message": "Function not found"})
    expected = FunctionInfo(id="5b7e-uuid", slug="create-task", name="create-task", status="ACTIVE",
                            version=7, updated_at=1700000500000, created_at=1700000000000, verify_jwt=True,
                            ezbr_sha256="ab12", entrypoint_path="file:///src/index.ts")
    assert api.list_functions(REF)[0] == expected
    assert [f.slug for f in api.list_functions(REF)] == ["create-task", "b"]
    assert api.get_function(REF, "create-task") == expected
    assert api.get_function(REF, "missing") is None


def test_function_without_optional_fields(router: respx.Router, api: ManagementApi) -> None:
    bare = {k: FN[k] for k in ("id", "slug", "name", "status", "version", "created_at", "updated_at")}
    router.get(f"/v1/projects/{REF}/functions/create-task").respond(200, json=bare)
    info = api.get_function(REF, "create-task")
    assert info is not None and info.ezbr_sha256 is None and info.verify_jwt is None


def test_delete_function_and_body(router: respx.Router, api: ManagementApi) -> None:
    router.delete(f"/v1/projects/{REF}/functions/create-task").respond(200)
    router.delete(f"/v1/projects/{REF}/functions/gone").respond(404)
    router.get(f"/v1/projects/{REF}/functions/create-task/body").respond(200, content=b"\x00ESZIP2")
    assert api.delete_function(REF, "create-task") is True
    assert api.delete_function(REF, "gone") is False
    assert api.function_body(REF, "create-task") == b"\x00ESZIP2"


def test_list_secrets_returns_names_only(router: respx.Router, api: ManagementApi) -> None:
    router.get(f"/v1/projects/{REF}/secrets").respond(200, json=[
        {"name": "OPENAI_API_KEY", "value": "digest-1"}, {"name": "A_KEY", "value": "digest-2"}])
    assert api.list_secrets(REF) == ["A_KEY", "OPENAI_API_KEY"]


def test_run_query_posts_exact_body(router: respx.Router, api: ManagementApi) -> None:
    route = router.post(f"/v1/projects/{REF}/database/query").respond(201, json=[{"n": 1}, {"n": 2}])
    assert api.run_query(REF, "select 1 as n") == [{"n": 1}, {"n": 2}]
    assert json.loads(route.calls.last.request.content) == {"query": "select 1 as n"}


LOGS = f"/v1/projects/{REF}/analytics/endpoints/logs"


def _row(**over: Any) -> dict[str, Any]:
    """A row as the unified logs endpoint returns it for our query (CLI 3.1.0's column set)."""
    row = {"id": "l1", "ts_ms": 1704110430123, "source": "function_logs", "severity_text": "ERROR",
           "level": "error", "event_message": "boom",
           "log_attributes": {"function_id": "fn'1", "execution_id": "e1", "level": "error", "version": "7"}}
    return {**row, **over}


def test_function_logs_query_shape(router: respx.Router, api: ManagementApi) -> None:
    route = router.get(LOGS).respond(200, json={"result": [_row()], "error": None})
    start, end = datetime(2024, 1, 1, 12, 0, 20, tzinfo=UTC), datetime(2024, 1, 1, 12, 1, 5, tzinfo=UTC)
    rows = api.function_logs(REF, function_id="fn'1", start=start, end=end)
    params = route.calls.last.request.url.params
    # The endpoint rounds its range to minutes: ask for the whole minutes around the window.
    assert params["iso_timestamp_start"] == "2024-01-01T12:00:00Z"
    assert params["iso_timestamp_end"] == "2024-01-01T12:02:00Z"
    assert params["sql"] == FUNCTION_LOGS_SQL.format(function_id="'fn''1'", limit=1000)
    assert "from logs" in params["sql"] and "log_attributes['function_id'] = 'fn''1'" in params["sql"]
    row = rows[0]
    assert (row.id, row.source, row.level, row.is_error, row.version, row.function_id) == (
        "l1", "function_logs", "error", True, "7", "fn'1")
    assert row.timestamp == datetime(2024, 1, 1, 12, 0, 30, 123000, tzinfo=UTC)


def test_function_logs_never_calls_the_retired_endpoint(router: respx.Router, api: ManagementApi) -> None:
    retired = router.get(f"{LOGS}.all").respond(410)
    router.get(LOGS).respond(200, json={"result": [], "error": None})
    now = datetime.now(UTC)
    assert api.function_logs(REF, function_id="f", start=now - timedelta(seconds=30), end=now) == []
    assert not retired.called


def test_edge_rows_status_and_window(router: respx.Router, api: ManagementApi) -> None:
    edge = {"source": "function_edge_logs", "severity_text": "ERROR", "event_message": "POST | 503"}
    router.get(LOGS).respond(200, json={"result": [
        _row(id="a", level="error", log_attributes={"function_id": "f", "response.status_code": "503",
                                                      "request.method": "POST", "version": "7"}, **edge),
        # ClickHouse's own timestamp text (UTC, no zone) when ts_ms is not selected
        {**_row(id="b", level="info", log_attributes={"function_id": "f", "response.status_code": "200"}, **edge),
         "ts_ms": None, "timestamp": "2024-01-01 12:00:40.000000"},
        _row(id="old", ts_ms=1704110400000)]})  # 12:00:00, before the window: dropped here
    start, end = datetime(2024, 1, 1, 12, 0, 10), datetime(2024, 1, 1, 12, 0, 50)  # naive: UTC
    rows = api.function_logs(REF, function_id="f", start=start.replace(tzinfo=UTC), end=end.replace(tzinfo=UTC))
    assert [(r.id, r.status_code, r.method, r.is_error) for r in rows] == [
        ("a", 503, "POST", True), ("b", 200, None, False)]


@pytest.mark.parametrize("body, message", [
    ({"result": [], "error": {"code": 400, "errors": [], "message": "bad sql", "status": "x"}},
     "log query failed: bad sql"),
    ({"result": None, "error": "Syntax error"}, "log query failed: Syntax error"),
    ({"result": [{"id": "x", "event_message": "no time", "source": "function_logs", "log_attributes": {}}]},
     "unreadable log row: no ts_ms or timestamp"),
    ({"result": [_row(log_attributes=None)]}, "unreadable log row: no log_attributes map"),
    ({"result": [_row(source="edge_logs")]}, "unreadable log row: source 'edge_logs'"),
    ({"result": {"rows": []}}, "unreadable response: result is not a list"),
    (["not", "an", "object"], "unreadable response: not a JSON object"),
])
def test_log_query_errors_raise(router: respx.Router, api: ManagementApi, body: Any, message: str) -> None:
    router.get(LOGS).respond(200, json=body)
    now = datetime.now(UTC)
    with pytest.raises(ApiError, match=f"analytics/endpoints/logs -> 200: {message}"):
        api.function_logs(REF, function_id="f", start=now, end=now)


def test_health_sends_services(router: respx.Router, api: ManagementApi) -> None:
    route = router.get(f"/v1/projects/{REF}/health").respond(200, json=[
        {"name": "db", "healthy": True, "status": "ACTIVE_HEALTHY"}])
    assert api.health(REF, ["db", "rest"])[0].healthy is True
    assert route.calls.last.request.url.params.get_list("services") == ["db", "rest"]


# -- retries ----------------------------------------------------------------------------------


def test_retries_429_honouring_retry_after(router: respx.Router, api: ManagementApi,
                                           fake_time: FakeTime) -> None:
    route = router.get(f"/v1/projects/{REF}/secrets")
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"}),
                         httpx.Response(200, json=[])]
    assert api.list_secrets(REF) == []
    assert route.call_count == 2 and fake_time.sleeps == [7.0]


def test_retries_429_honouring_ratelimit_reset(router: respx.Router, api: ManagementApi,
                                               fake_time: FakeTime) -> None:
    route = router.get(f"/v1/projects/{REF}/secrets")
    reset_epoch = str(int(fake_time.wall()) + 12)
    route.side_effect = [httpx.Response(429, headers={"X-RateLimit-Reset": reset_epoch}),
                         httpx.Response(429, headers={"X-RateLimit-Reset": "3"}),
                         httpx.Response(200, json=[])]
    api.list_secrets(REF)
    assert fake_time.sleeps == [12.0, 3.0]


def test_retries_503_with_backoff(router: respx.Router, api: ManagementApi, fake_time: FakeTime) -> None:
    route = router.get(f"/v1/projects/{REF}/functions")
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[FN])]
    assert len(api.list_functions(REF)) == 1
    assert fake_time.sleeps == [0.5, 1.0]


def test_gives_up_after_max_attempts(router: respx.Router, fake_time: FakeTime) -> None:
    api = make_api(router, fake_time, max_attempts=3)
    route = router.get(f"/v1/projects/{REF}/functions/create-task").respond(
        503, json={"message": "upstream unavailable"})
    with pytest.raises(ApiError) as caught:
        api.get_function(REF, "create-task")
    assert route.call_count == 3
    err = caught.value
    assert (err.method, err.endpoint, err.status) == ("GET", "/v1/projects/{ref}/functions/{slug}", 503)
    assert str(err).startswith("Management API GET /v1/projects/{ref}/functions/{slug} -> 503: "
                               "upstream unavailable")
    assert "after 3 attempts" in str(err) and err.exit_code == 1


def test_401_is_not_retried(router: respx.Router, api: ManagementApi, fake_time: FakeTime) -> None:
    route = router.get(f"/v1/projects/{REF}").respond(401, json={"message": "Unauthorized"})
    with pytest.raises(ApiError, match=r"-> 401: Unauthorized; the access token from SUPABASE_ACCESS_TOKEN was "
                                       r"rejected"):
        api.get_project(REF)
    assert route.call_count == 1 and fake_time.sleeps == []


def test_post_query_not_retried_on_500_but_on_429(router: respx.Router, api: ManagementApi) -> None:
    route = router.post(f"/v1/projects/{REF}/database/query")
    route.side_effect = [httpx.Response(500, json={"message": "syntax error"})]
    with pytest.raises(ApiError, match="-> 500: syntax error"):
        api.run_query(REF, "selec 1")
    assert route.call_count == 1
    route.side_effect = [httpx.Response(429), httpx.Response(201, json=[])]
    assert api.run_query(REF, "select 1") == []


def test_connection_errors_retried_then_reported(router: respx.Router, fake_time: FakeTime) -> None:
    api = make_api(router, fake_time, max_attempts=2)
    route = router.get(f"/v1/projects/{REF}").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ApiError, match=r"-> no response: ConnectError: refused \(gave up after 2"):
        api.get_project(REF)
    assert route.call_count == 2


# -- pacing -----------------------------------------------------------------------------------


def test_pacing_keeps_one_endpoint_under_the_limit(router: respx.Router, api: ManagementApi,
                                                   fake_time: FakeTime) -> None:
    sent: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(fake_time.now)
        return httpx.Response(200, json=FN)

    router.get(path__regex=r"/v1/projects/\w+/functions/[\w-]+$").mock(side_effect=record)
    other = router.get(f"/v1/projects/{REF}/secrets").respond(200, json=[])
    for i in range(121):
        api.get_function(REF, f"fn-{i}")  # different slugs, one endpoint template
    assert len(sent) == 121
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 120
    assert sent[120] >= 60.0 and sent[119] == 0.0
    before = fake_time.now
    api.list_secrets(REF)  # another endpoint has its own window
    assert other.call_count == 1 and fake_time.now == before


def test_ratelimit_remaining_zero_holds_next_request(router: respx.Router, api: ManagementApi,
                                                     fake_time: FakeTime) -> None:
    router.get(f"/v1/projects/{REF}/secrets").respond(
        200, json=[], headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "20"})
    api.list_secrets(REF)
    assert fake_time.now == 0
    api.list_secrets(REF)
    assert fake_time.now == 20.0


# -- secrecy ----------------------------------------------------------------------------------


def test_token_never_in_errors_repr_or_logs(router: respx.Router, fake_time: FakeTime,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api(router, fake_time, max_attempts=2)
    router.get(f"/v1/projects/{REF}").respond(401, json={"message": f"bad token {TOKEN}"})
    router.get(f"/v1/projects/{REF}/secrets").respond(500, text=f"Authorization: Bearer {TOKEN}")
    router.get(f"/v1/projects/{REF}/functions").mock(side_effect=httpx.ConnectError(f"oops {TOKEN}"))
    messages = []
    for call in (lambda: api.get_project(REF), lambda: api.list_secrets(REF), lambda: api.list_functions(REF)):
        with pytest.raises(ApiError) as caught:
            call()
        messages += [str(caught.value), repr(caught.value), caught.value.detail]
    messages += [repr(api), caplog.text]
    assert TOKEN[4:20] not in "\n".join(messages)
    assert "***" in messages[0]


def test_missing_token_is_an_input_error() -> None:
    with pytest.raises(InputError, match="SUPABASE_ACCESS_TOKEN"):
        ManagementApi.from_env({})


def test_from_env_prefers_orchestrator_api_url() -> None:
    env = {"SUPABASE_ACCESS_TOKEN": TOKEN, "ORCHESTRATOR_API_URL": "http://127.0.0.1:9/"}
    with ManagementApi.from_env(env, "https://other") as api:
        assert api.base_url == "http://127.0.0.1:9"
    with ManagementApi.from_env({"SUPABASE_ACCESS_TOKEN": TOKEN}) as api:
        assert api.base_url == "https://api.supabase.com"


def test_read_timeout_retried_for_get_not_for_post(router: respx.Router, api: ManagementApi) -> None:
    get = router.get(f"/v1/projects/{REF}/secrets")
    get.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=[])]
    assert api.list_secrets(REF) == []
    post = router.post(f"/v1/projects/{REF}/database/query").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ApiError, match=r"POST /v1/projects/\{ref\}/database/query -> no response: ReadTimeout"):
        api.run_query(REF, "update t set x = 1")
    assert get.call_count == 2 and post.call_count == 1  # the server may have run it: don't run it twice


def test_importing_the_cli_side_does_not_load_httpx() -> None:
    import subprocess
    import sys

    code = "import sys, orchestrator.adapters, orchestrator.adapters.git; assert 'httpx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_5xx_retry_ignores_the_rate_limit_reset_hosted_sends_on_every_answer(
        router: respx.Router, api: ManagementApi, fake_time: FakeTime) -> None:
    """Hosted puts X-RateLimit-* on errors too (supabase/cli e2e recordings); waiting for the reset
    on a 500 would stall each retry for up to a minute."""
    quota = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "118", "X-RateLimit-Reset": "60"}
    router.get(f"/v1/projects/{REF}/secrets").mock(side_effect=[
        httpx.Response(500, json={"message": "boom"}, headers=quota),
        httpx.Response(200, json=[], headers=quota)])
    assert api.list_secrets(REF) == []
    assert fake_time.sleeps == [0.5]
