"""The simulator and our client against the hosted contract (hosted_contract.py), validated with
jsonschema: status codes, rate-limit headers, body shapes, and the hosted differences that
earlier simulator versions got wrong (each test here fails on them)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema
import jwt
import respx

from orchestrator.adapters.management_api import ManagementApi
from orchestrator.local import multipart
from orchestrator.local.target import LocalTarget
from tests.local.hosted_contract import ENDPOINTS, MESSAGE, RATE_LIMIT_HEADERS, Endpoint


def _url(target: LocalTarget, endpoint: Endpoint, **params: str) -> str:
    return target.api_url + endpoint.path.format(ref=target.project_ref, **params)


def _call(target: LocalTarget, name: str, *, token: str | None = None, slug: str = "", **kwargs: Any) -> httpx.Response:
    endpoint = ENDPOINTS[name]
    headers = {"Authorization": f"Bearer {token or target.access_token}", **kwargs.pop("headers", {})}
    return httpx.request(endpoint.method, _url(target, endpoint, slug=slug), headers=headers, timeout=30, **kwargs)


def _conforms(response: httpx.Response, name: str) -> Any:
    endpoint = ENDPOINTS[name]
    assert response.status_code in endpoint.statuses, (name, response.status_code, response.text)
    for header in RATE_LIMIT_HEADERS:
        assert header in response.headers, (name, header)
    if endpoint.schema is None:
        return None
    body = response.json()
    jsonschema.validate(body, endpoint.schema)
    return body


def _deploy(target: LocalTarget, slug: str, files: dict[str, str], **meta: Any) -> httpx.Response:
    metadata = {"entrypoint_path": f"supabase/functions/{slug}/index.ts", "name": slug, **meta}
    parts = [multipart.Part("metadata", None, "application/json", json.dumps(metadata).encode())]
    parts += [multipart.Part("file", path, "application/typescript", text.encode()) for path, text in files.items()]
    content_type, body = multipart.build(parts)
    return _call(target, "functions.deploy", params={"slug": slug}, content=body,
                 headers={"Content-Type": content_type})


def _slug() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


def test_every_endpoint_answers_in_the_hosted_shape(local_target: LocalTarget) -> None:
    slug = _slug()
    index = f"supabase/functions/{slug}/index.ts"
    _conforms(_deploy(local_target, slug, {index: 'Deno.serve(() => new Response("ok"));'}), "functions.deploy")
    _conforms(_call(local_target, "get-project"), "get-project")
    _conforms(_call(local_target, "api-keys"), "api-keys")
    _conforms(_call(local_target, "health", params={"services": ["db", "rest"]}), "health")
    _conforms(_call(local_target, "functions.list"), "functions.list")
    _conforms(_call(local_target, "functions.get", slug=slug), "functions.get")
    _conforms(_call(local_target, "secrets.list"), "secrets.list")
    _conforms(_call(local_target, "database.query", json={"query": "select 1 as n"}), "database.query")
    _conforms(_call(local_target, "database.query-read-only", json={"query": "select 1 as n"}),
              "database.query-read-only")
    body = _conforms(_call(local_target, "logs", params={"sql": "select id from logs limit 1"}), "logs")
    assert body["error"] is None
    _conforms(_call(local_target, "logs.all"), "logs.all")
    _conforms(_call(local_target, "functions.delete", slug=slug), "functions.delete")


def test_errors_carry_rate_limit_headers_and_a_message(local_target: LocalTarget) -> None:
    for response in (_call(local_target, "functions.list", token="sbp_" + "0" * 40),
                     _call(local_target, "functions.get", slug="no-such-function"),
                     httpx.get(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/no-such-endpoint",
                               headers={"Authorization": f"Bearer {local_target.access_token}"})):
        assert response.status_code in (401, 404)
        assert all(h in response.headers for h in RATE_LIMIT_HEADERS), response.headers
        jsonschema.validate(response.json(), MESSAGE)


def test_api_keys_are_jwts_signed_with_the_project_secret_and_secret_keys_are_masked(
        local_target: LocalTarget) -> None:
    keys = _conforms(_call(local_target, "api-keys"), "api-keys")
    anon = jwt.decode(keys[0]["api_key"], local_target.jwt_secret, algorithms=["HS256"])
    assert anon["role"] == "anon" and anon["ref"] == local_target.project_ref and anon["iss"] == "supabase"
    assert keys[2]["api_key"].startswith("sb_publishable_")
    secret = keys[3]["api_key"]
    assert secret.startswith("sb_secret_") and secret.endswith("·" * 10) and "·" not in secret[:15]
    revealed = _call(local_target, "api-keys", params={"reveal": "true"}).json()[3]["api_key"]
    assert "·" not in revealed and len(revealed) == len(secret)


def test_health_answers_the_services_asked_and_refuses_none(local_target: LocalTarget) -> None:
    asked = _conforms(_call(local_target, "health", params={"services": ["auth", "storage"]}), "health")
    assert [s["name"] for s in asked] == ["auth", "storage"]
    assert _call(local_target, "health").status_code == 400
    assert _call(local_target, "health", params={"services": "kafka"}).status_code == 400


def test_secrets_set_and_delete_answer_with_an_empty_body(local_target: LocalTarget) -> None:
    made = _call(local_target, "secrets.set", json=[{"name": "CONTRACT_X", "value": "v"}])
    gone = _call(local_target, "secrets.delete", json=["CONTRACT_X"])
    for response, name in ((made, "secrets.set"), (gone, "secrets.delete")):
        _conforms(response, name)
        assert response.content == b"" and "content-type" not in response.headers


def test_read_only_query_refuses_writes_like_hosted(local_target: LocalTarget) -> None:
    refused = _call(local_target, "database.query-read-only", json={"query": "create table contract_t (a int)"})
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Failed to run sql query: ERROR:  25006: cannot execute CREATE TABLE")
    rows = _call(local_target, "database.query", json={
        "query": "select to_regclass('public.contract_t') is null as absent"}).json()
    assert rows == [{"absent": True}]


def test_deploy_validates_the_slug_like_hosted(local_target: LocalTarget) -> None:
    for slug in ("../evil", "1abc", "a/b", "_shared"):
        response = _deploy(local_target, slug, {"supabase/functions/x/index.ts": "Deno.serve(() => new Response());"})
        assert response.status_code == 400, slug
    assert not any(s.startswith(("..", "_")) for s in local_target.client.function_slugs())


def test_patch_changes_settings_as_a_new_version(local_target: LocalTarget) -> None:
    slug = _slug()
    _deploy(local_target, slug, {f"supabase/functions/{slug}/index.ts": 'Deno.serve(() => new Response("p"));'})
    before = _call(local_target, "functions.get", slug=slug).json()
    after = _conforms(_call(local_target, "functions.update", slug=slug, params={"verify_jwt": "false"}),
                      "functions.update")
    assert after["verify_jwt"] is False and after["version"] == before["version"] + 1
    assert httpx.get(f"{local_target.functions_url}/{slug}", timeout=60).text == "p"  # no JWT needed now
    assert _call(local_target, "functions.update", slug="no-such-fn", json={}).status_code == 404


def test_body_download_honours_accept(local_target: LocalTarget) -> None:
    slug = _slug()
    _deploy(local_target, slug, {f"supabase/functions/{slug}/index.ts": "Deno.serve(() => new Response());"})
    sources = _call(local_target, "functions.body", slug=slug, headers={"Accept": "multipart/form-data"})
    assert sources.status_code == 200 and sources.headers["content-type"].startswith("multipart/form-data")
    assert _call(local_target, "functions.body", slug=slug, headers={"Accept": "*/*"}).status_code == 406


def test_import_map_path_is_stored_and_used_by_the_gateway(local_target: LocalTarget) -> None:
    """A per-function deno.jsonc alias into `_shared/`, as the CLI uploads it (paths from the project root)."""
    slug = _slug()
    files = {f"supabase/functions/{slug}/index.ts": 'import { word } from "@shared/word.ts";\n'
                                                    'Deno.serve(() => new Response(word));',
             f"supabase/functions/{slug}/deno.jsonc": '{\n  // aliases\n  "imports": {"@shared/": "../_shared/"},\n}',
             "supabase/functions/_shared/word.ts": 'export const word = "aliased";'}
    deployed = _conforms(_deploy(local_target, slug, files, verify_jwt=False,
                                 import_map_path=f"supabase/functions/{slug}/deno.jsonc", static_patterns=[]),
                         "functions.deploy")
    assert deployed["import_map"] is True and deployed["import_map_path"].endswith(f"/{slug}/deno.jsonc")
    assert httpx.get(f"{local_target.functions_url}/{slug}", timeout=60).text == "aliased"


def test_gateway_verifies_jwts_like_hosted(local_target: LocalTarget) -> None:
    slug = _slug()
    _deploy(local_target, slug, {f"supabase/functions/{slug}/index.ts": 'Deno.serve(() => new Response("in"));'})
    url = f"{local_target.functions_url}/{slug}"
    user = jwt.encode({"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
                       "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp())},
                      local_target.jwt_secret, algorithm="HS256")
    forged = jwt.encode({"role": "service_role"}, "not-the-secret", algorithm="HS256")

    def status(auth: str | None) -> tuple[int, str]:
        answer = httpx.get(url, headers={"Authorization": auth} if auth else {}, timeout=60)
        return answer.status_code, answer.json().get("code", "") if answer.status_code == 401 else answer.text

    assert status(f"Bearer {local_target.anon_key}") == (200, "in")
    assert status(f"Bearer {user}") == (200, "in")  # a signed-in user's token
    assert status(None) == (401, "UNAUTHORIZED_NO_AUTH_HEADER")
    assert status(f"Bearer {local_target.publishable_key}") == (401, "UNAUTHORIZED_INVALID_JWT_FORMAT")
    assert status(f"Bearer {forged}") == (401, "UNAUTHORIZED_INVALID_JWT_FORMAT")


# -- our client's requests against the same contract -------------------------------------------


def test_client_requests_match_the_contract() -> None:
    """Every request the client makes names an endpoint of the contract, with only known parameters."""
    ref, seen = "abcdefghijklmnopqrst", []
    patterns = {name: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"[^/]+", re.escape(e.path)) + "$")
                for name, e in ENDPOINTS.items()}
    fn = {"id": "f", "slug": "s", "name": "s", "status": "ACTIVE", "version": 1, "created_at": 0, "updated_at": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        name = next(n for n, p in patterns.items()
                    if p.match(request.url.path) and ENDPOINTS[n].method == request.method)
        unknown = set(request.url.params) - ENDPOINTS[name].query
        assert not unknown, (name, unknown)
        seen.append(name)
        bodies: dict[str, Any] = {
            "get-project": {"id": ref, "ref": ref, "name": "p", "status": "ACTIVE_HEALTHY"},
            "api-keys": [{"name": "anon", "api_key": "eyJ.a.b", "type": "legacy"}],
            "functions.list": [fn], "functions.get": fn, "health": [], "secrets.list": [],
            "database.query": [], "logs": {"result": [], "error": None}, "functions.delete": {"message": "ok"},
        }
        return httpx.Response(min(ENDPOINTS[name].statuses), json=bodies.get(name, {}))

    router = respx.Router(assert_all_called=False)
    router.route().mock(side_effect=answer)
    api = ManagementApi("sbp_" + "1" * 40, "https://api.example.test", transport=httpx.MockTransport(router.handler))
    now = datetime.now(UTC)
    api.get_project(ref), api.anon_key(ref), api.list_functions(ref), api.get_function(ref, "s")
    api.health(ref), api.list_secrets(ref), api.run_query(ref, "select 1"), api.delete_function(ref, "s")
    api.function_logs(ref, function_id="f", start=now - timedelta(seconds=30), end=now)
    assert "logs.all" not in seen and "logs" in seen
    assert len(seen) == 9
