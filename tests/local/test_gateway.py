"""Deployed functions served by real Deno through the gateway; their logs through the logs endpoint."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orchestrator.local import multipart
from orchestrator.local.target import LocalTarget


def _deploy(target: LocalTarget, slug: str, source: str, verify_jwt: bool = True) -> dict[str, Any]:
    """Deploy through the simulator's endpoint (the CLI path is covered in test_cli.py)."""
    meta = {"entrypoint_path": f"{slug}/index.ts", "name": slug, "verify_jwt": verify_jwt}
    content_type, body = multipart.build([
        multipart.Part("metadata", None, "application/json", json.dumps(meta).encode()),
        multipart.Part("file", f"{slug}/index.ts", "application/typescript", source.encode()),
    ])
    response = httpx.post(f"{target.api_url}/v1/projects/{target.project_ref}/functions/deploy",
                          params={"slug": slug}, content=body,
                          headers={"Authorization": f"Bearer {target.access_token}", "Content-Type": content_type})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _call(target: LocalTarget, slug: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {target.anon_key}"}
    return httpx.post(f"{target.functions_url}/{slug}", headers=headers, timeout=60, **kwargs)


def _logs(target: LocalTarget, sql: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    # The endpoint rounds the range to the nearest minute: end a minute ahead to see rows of now.
    params = {"sql": sql, "iso_timestamp_start": (now - timedelta(minutes=5)).isoformat(),
              "iso_timestamp_end": (now + timedelta(minutes=1)).isoformat()}
    response = httpx.get(f"{target.api_url}/v1/projects/{target.project_ref}/analytics/endpoints/logs",
                         params=params, headers={"Authorization": f"Bearer {target.access_token}"})
    assert response.status_code == 200 and response.json()["error"] is None, response.text
    return list(response.json()["result"])


def _errors_of(function_id: str) -> str:
    return ("select id, event_message from logs where source = 'function_logs' and "
            f"log_attributes['function_id'] = '{function_id}' and log_attributes['level'] = 'error'")


def _slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_a_deployed_function_answers_and_sees_env_and_secrets(local_target: LocalTarget) -> None:
    httpx.post(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/secrets",
               json=[{"name": "GW_SECRET", "value": "shh"}],
               headers={"Authorization": f"Bearer {local_target.access_token}"}).raise_for_status()
    slug = _slug("echo")
    _deploy(local_target, slug, """
Deno.serve(async (req) => Response.json({
  body: await req.json(), path: new URL(req.url).pathname,
  secret: Deno.env.get("GW_SECRET"), url: Deno.env.get("SUPABASE_URL"),
}));""")
    answer = _call(local_target, slug, json={"a": 1})
    assert answer.status_code == 200
    data = answer.json()
    assert data["body"] == {"a": 1} and data["secret"] == "shh" and data["path"] == f"/{slug}"
    assert local_target.functions_url.startswith(data["url"])


def test_verify_jwt_and_unknown_function(local_target: LocalTarget) -> None:
    slug = _slug("guarded")
    _deploy(local_target, slug, 'Deno.serve(() => new Response("ok"));')
    assert httpx.get(f"{local_target.functions_url}/{slug}").status_code == 401
    assert _call(local_target, "no-such-function").status_code == 404


def test_a_new_version_replaces_the_running_one(local_target: LocalTarget) -> None:
    slug = _slug("versioned")
    _deploy(local_target, slug, 'Deno.serve(() => new Response("one"));')
    assert _call(local_target, slug).text == "one"
    fn = _deploy(local_target, slug, 'Deno.serve(() => new Response("two"));')
    assert fn["version"] == 2
    assert _call(local_target, slug).text == "two"


def test_a_throwing_function_leaves_error_rows_and_a_5xx_edge_row(local_target: LocalTarget) -> None:
    slug = _slug("thrower")
    fn = _deploy(local_target, slug, """
Deno.serve(() => { console.log("about to fail"); throw new Error("kaboom"); });""")
    assert _call(local_target, slug).status_code == 500

    errors = _logs(local_target, "select id, event_message, log_attributes from logs where source = 'function_logs' "
                                 f"and log_attributes['function_id'] = '{fn['id']}' "
                                 "and log_attributes['level'] = 'error' order by timestamp desc limit 100")
    assert errors and any("kaboom" in r["event_message"] for r in errors)
    assert all(r["log_attributes"]["function_id"] == fn["id"] for r in errors)
    edge = _logs(local_target, "select id, log_attributes from logs where source = 'function_edge_logs' "
                               f"and log_attributes['function_id'] = '{fn['id']}' "
                               "and toInt32OrZero(log_attributes['response.status_code']) >= 500 limit 10")
    assert [r["log_attributes"]["response.status_code"] for r in edge] == ["500"]
    assert edge[0]["log_attributes"]["version"] == "1"


def test_unfetchable_imports_fail_at_boot_with_the_reason_logged(local_target: LocalTarget) -> None:
    slug = _slug("jsr")
    fn = _deploy(local_target, slug, """
import { assert } from "jsr:@std/assert@1";
Deno.serve(() => new Response("never"));""")
    assert _call(local_target, slug).status_code == 503
    rows = _logs(local_target, _errors_of(fn["id"]))
    messages = "\n".join(r["event_message"] for r in rows)
    assert "@std/assert" in messages and "boot error" in messages


def test_logs_window_excludes_older_rows(local_target: LocalTarget) -> None:
    slug = _slug("window")
    fn = _deploy(local_target, slug, 'Deno.serve(() => { console.error("late"); return new Response(""); });')
    _call(local_target, slug)
    future = datetime.now(UTC) + timedelta(hours=1)
    params = {"sql": _errors_of(fn["id"]),
              "iso_timestamp_start": future.isoformat(), "iso_timestamp_end": (future + timedelta(minutes=1)).isoformat()}
    response = httpx.get(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/analytics/endpoints/logs",
                         params=params, headers={"Authorization": f"Bearer {local_target.access_token}"})
    assert response.json()["result"] == []
    assert _logs(local_target, _errors_of(fn["id"]))
