"""The real supabase CLI (3.1.0, and 2.122.1 where it differs) against the local simulator."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from orchestrator.local.target import LocalTarget
from tests.local.conftest import run_cli, write_function

HELLO = 'import { who } from "../_shared/who.ts";\nDeno.serve(() => new Response(`hello ${who}`));\n'


def _slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _deploy(target: LocalTarget, project: Path, slug: str, major: int) -> None:
    yes = ["--yes"] if major == 3 else []
    run_cli(target, project, "functions", "deploy", slug, "--project-ref", target.project_ref, "--use-api",
            *yes, major=major)


@pytest.mark.parametrize("major", [3, 2])
def test_deploy_stores_a_new_version_with_the_uploaded_files(local_target: LocalTarget, project: Path,
                                                             major: int) -> None:
    slug = _slug(f"hello{major}")
    write_function(project, slug, HELLO)
    (project / "supabase/functions/_shared").mkdir()
    (project / "supabase/functions/_shared/who.ts").write_text('export const who = "world";\n')
    _deploy(local_target, project, slug, major)
    (project / "supabase/functions/_shared/who.ts").write_text('export const who = "again";\n')
    _deploy(local_target, project, slug, major)

    versions = local_target.client.function_versions(slug)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].sha256 != versions[1].sha256
    files = local_target.client.function_files(slug, 2)
    assert files == {f"{slug}/index.ts": HELLO.encode(), "_shared/who.ts": b'export const who = "again";\n'}
    assert versions[1].entrypoint_path == f"{slug}/index.ts"


@pytest.mark.parametrize("major", [3, 2])
def test_list_download_and_delete(local_target: LocalTarget, project: Path, major: int) -> None:
    slug = _slug(f"dl{major}")
    source = 'Deno.serve(() => new Response("dl"));\n'
    write_function(project, slug, source)
    _deploy(local_target, project, slug, major)
    listed = run_cli(local_target, project, "functions", "list", "--project-ref", local_target.project_ref,
                     major=major)
    assert slug in listed.stdout

    (project / "supabase/functions" / slug / "index.ts").unlink()
    yes = ["--yes"] if major == 3 else []
    run_cli(local_target, project, "functions", "download", slug, "--project-ref", local_target.project_ref,
            "--use-api", *yes, major=major)
    assert (project / "supabase/functions" / slug / "index.ts").read_text() == source

    response = httpx.delete(f"{local_target.api_url}/v1/projects/{local_target.project_ref}/functions/{slug}",
                            headers={"Authorization": f"Bearer {local_target.access_token}"})
    assert response.status_code == 200
    assert local_target.client.function_versions(slug) == []
    listed = run_cli(local_target, project, "functions", "list", "--project-ref", local_target.project_ref,
                     major=major)
    assert slug not in listed.stdout


@pytest.mark.parametrize("major", [3, 2])
def test_secrets_set_and_list(local_target: LocalTarget, project: Path, major: int) -> None:
    name = f"S{major}_{uuid.uuid4().hex[:6].upper()}"
    yes = ["--yes"] if major == 3 else []
    run_cli(local_target, project, "secrets", "set", f"{name}=value-{major}", "--project-ref",
            local_target.project_ref, *yes, major=major)
    assert local_target.client.secret_hashes()[name] == hashlib.sha256(f"value-{major}".encode()).hexdigest()
    listed = run_cli(local_target, project, "secrets", "list", "--project-ref", local_target.project_ref,
                     major=major)
    assert name in listed.stdout and f"value-{major}" not in listed.stdout


@pytest.mark.parametrize("major", [3, 2])
def test_api_keys_and_link(local_target: LocalTarget, project: Path, major: int) -> None:
    keys = run_cli(local_target, project, "projects", "api-keys", "--project-ref", local_target.project_ref,
                   major=major)
    assert local_target.anon_key in keys.stdout
    yes = ["--yes"] if major == 3 else []
    run_cli(local_target, project, "link", "--project-ref", local_target.project_ref, *yes, major=major)
    assert local_target.project_ref in (project / "supabase/.temp/project-ref").read_text()


def test_logs_v3_returns_function_rows(local_target: LocalTarget, project: Path) -> None:
    slug = _slug("logged")
    write_function(project, slug, 'Deno.serve(() => { console.error("bad thing"); return new Response("x"); });\n')
    _deploy(local_target, project, slug, 3)
    anon = {"Authorization": f"Bearer {local_target.anon_key}"}
    assert httpx.get(f"{local_target.functions_url}/{slug}", headers=anon).status_code == 200
    function_id = _function_id(local_target, slug)
    result = run_cli(local_target, project, "logs", "--project-ref", local_target.project_ref,
                     "--service", "functions", "--resource", function_id, "--level", "error",
                     "--output-format", "json")
    rows = json.loads(result.stdout)
    assert [(r["event_message"], r["level"], r["source"]) for r in rows] == [("bad thing", "error", "function_logs")]
    assert rows[0]["log_attributes"]["function_id"] == function_id


def _function_id(target: LocalTarget, slug: str) -> str:
    response = httpx.get(f"{target.api_url}/v1/projects/{target.project_ref}/functions/{slug}",
                         headers={"Authorization": f"Bearer {target.access_token}"})
    return str(response.json()["id"])


def _fresh_database(url: str) -> str:
    """Each version's migration history starts empty: a new database in the target's cluster."""
    name = f"m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.mark.parametrize("major", [3, 2])
def test_migrations_via_db_url(local_target: LocalTarget, project: Path, major: int) -> None:
    table = f"t_{uuid.uuid4().hex[:8]}"
    # a real timestamp: the v2 binary mismatches versions whose digits are not a valid date (month 54)
    moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=uuid.uuid4().int % 30_000_000)
    version = moment.strftime("%Y%m%d%H%M%S")
    (project / "supabase/migrations" / f"{version}_{table}.sql").write_text(f"create table {table}(id int);\n")
    db = ["--db-url", _fresh_database(local_target.db_url)]
    before = run_cli(local_target, project, "migration", "list", *db, major=major)
    assert version in before.stdout
    yes = ["--yes"] if major == 3 else []
    run_cli(local_target, project, "db", "push", *db, *yes, major=major)
    with psycopg.connect(db[1]) as conn:
        assert conn.execute("select to_regclass(%s) is not null", (table,)).fetchone() == (True,)
        applied = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    assert (version,) in applied


def test_multi_function_deploy_goes_live_only_with_the_bulk_update(local_target: LocalTarget, project: Path) -> None:
    slugs = [_slug("bulk-a"), _slug("bulk-b")]
    for slug in slugs:
        write_function(project, slug, f'Deno.serve(() => new Response("{slug}"));\n')
    args = ["functions", "deploy", *slugs, "--project-ref", local_target.project_ref, "--use-api", "--yes"]
    local_target.client.inject_fault("PUT", "/v1/projects/*/functions", count=10, status=500)
    failed = run_cli(local_target, project, *args, check=False)
    local_target.client.clear_faults()
    assert failed.returncode != 0
    assert all(local_target.client.function_versions(s) == [] for s in slugs)
    run_cli(local_target, project, *args)
    assert [len(local_target.client.function_versions(s)) for s in slugs] == [1, 1]
