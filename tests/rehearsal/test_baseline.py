"""The Supabase baseline and its declared stubs on a real PostgreSQL 15 (issue 14).

Each test is the small fixture of a failure benchmarks/rehearse_history.py met on a real project;
the project that taught it is named in its docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orchestrator.adapters.supabase_cli import SupabaseCli, Target
from orchestrator.local.postgres import PostgresCluster, find_pg_bin
from orchestrator.redact import Redactor
from orchestrator.rehearsal.baseline import (
    Baseline,
    apply_baseline,
    diagnose_extension,
    install_extension_or_stub,
    installed_stubs,
)
from orchestrator.rehearsal.installation import find_layout, private_installation
from orchestrator.tools import local_supabase

pytestmark = pytest.mark.postgres

USER = "2b1e0b1c-9f6a-4d5e-8a3b-1c2d3e4f5a6b"


@pytest.fixture(scope="module")
def rehearsal_cluster() -> Iterator[PostgresCluster]:
    """A cluster started from a private copy of the server: the stubs are in its extension folder.

    Not under pytest's tmp_path: as root the server runs as `postgres`, which cannot enter it (0700).
    """
    root = Path(tempfile.mkdtemp(prefix="rehearsal-install-"))
    root.chmod(0o755)
    bin_dir = private_installation(root / "pg", find_layout(find_pg_bin()))
    before = os.environ.get("PG_BIN")
    os.environ["PG_BIN"] = str(bin_dir)  # PostgresCluster reads it when it starts
    try:
        cluster = PostgresCluster().start()
    finally:
        os.environ.pop("PG_BIN") if before is None else os.environ.update(PG_BIN=before)
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def baseline_db(rehearsal_cluster: PostgresCluster) -> tuple[str, Baseline]:
    """A new database with the baseline applied (roles are cluster-wide: applying twice is fine)."""
    name = f"r_{os.urandom(6).hex()}"
    with psycopg.connect(rehearsal_cluster.url(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = rehearsal_cluster.url(name)
    return url, apply_baseline(url)


def query(url: str, sql: str, *setup: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in setup:
            conn.execute(statement)  # type: ignore[arg-type]
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def test_baseline_applies_on_a_fresh_cluster(baseline_db: tuple[str, Baseline]) -> None:
    """First apply: auth.refresh_tokens' id default named a sequence the script never created
    (our generator wrote `nextval(...)` instead of bigserial)."""
    url, baseline = baseline_db
    assert {"anon", "authenticated", "service_role", "authenticator", "supabase_admin", "supabase_auth_admin",
            "supabase_storage_admin", "dashboard_user", "pgbouncer"} <= set(baseline.roles)
    assert {"auth", "storage", "extensions", "realtime", "graphql", "graphql_public", "vault"} <= set(baseline.schemas)
    assert baseline.extensions["pgcrypto"] == "real" and baseline.extensions["uuid-ossp"] == "real"
    assert baseline.stubs == ["pg_graphql", "pgjwt", "supabase_vault"]
    assert query(url, "select count(*) from pg_publication where pubname = 'supabase_realtime'") == [(1,)]
    assert query(url, "select nextval('auth.refresh_tokens_id_seq')") == [(1,)]


def test_auth_uid_reads_the_request_claims(baseline_db: tuple[str, Baseline]) -> None:
    """Every project's policies: PostgREST sets request.jwt.claims, auth.uid() reads its `sub`."""
    url, _ = baseline_db
    claims = json.dumps({"sub": USER, "role": "authenticated", "email": "a@example.com"})
    rows = query(url, "select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'sub'",
                 f"set request.jwt.claims = '{claims}'")
    assert rows == [(USER, "authenticated", "a@example.com", USER)]
    assert query(url, "select auth.uid()") == [(None,)]


def test_storage_tables_have_row_level_security(baseline_db: tuple[str, Baseline]) -> None:
    """mckaywrigley/chatbot-ui and others write policies on storage.objects with storage.foldername."""
    url, _ = baseline_db
    rows = query(url, "select relname, relrowsecurity from pg_class where relnamespace = 'storage'::regnamespace "
                      "and relname in ('buckets', 'objects', 'migrations') order by 1")
    assert rows == [("buckets", True), ("migrations", True), ("objects", True)]
    assert query(url, "select (storage.foldername('u1/sub/a.png'))[1], storage.filename('u1/a.png'), "
                      "storage.extension('u1/a.tar.gz')") == [("u1", "a.png", "gz")]


def test_auth_users_primary_key_is_named_as_on_hosted(baseline_db: tuple[str, Baseline]) -> None:
    """1mansurr/elaro.app guards `alter table public.users add constraint users_pkey` with a
    schema-blind `conname = 'users_pkey'` check: it fails on hosted because auth.users owns that name.
    A baseline with another name would have hidden the repository's bug."""
    url, _ = baseline_db
    assert query(url, "select conrelid::regclass::text from pg_constraint where conname = 'users_pkey'") == [
        ("auth.users",)]


@pytest.mark.cli
def test_a_policy_migration_applies_with_the_real_cli(baseline_db: tuple[str, Baseline], tmp_path: Path) -> None:
    """The common first migration of all 14 projects: a table owned by a user, RLS, a policy to
    authenticated using auth.uid(); pushed by the real supabase 3.1.0 as a rehearsal pushes."""
    url, _ = baseline_db
    binary = local_supabase(3)
    if binary is None:
        pytest.fail("supabase CLI v3 not installed: run scripts/install-tools")
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "config.toml").write_text('project_id = "rehearsal"\n')
    (tmp_path / "supabase" / "migrations" / "20240101000000_notes.sql").write_text(
        "create table public.notes (id bigint generated always as identity primary key,\n"
        "  user_id uuid not null references auth.users (id) on delete cascade, body text);\n"
        "alter table public.notes enable row level security;\n"
        "create policy \"own notes\" on public.notes for all to authenticated\n"
        "  using (auth.uid() = user_id) with check (auth.uid() = user_id);\n")
    cli = SupabaseCli(binary, workdir=tmp_path, env={"HOME": str(tmp_path)}, redactor=Redactor())
    target = Target(db_url=url)
    cli.run(cli.db_push_args(target, include_all=True), target=target)
    claims = json.dumps({"sub": USER, "role": "authenticated"})
    rows = query(url, "select count(*) from public.notes",
                 f"insert into auth.users (id) values ('{USER}')",
                 f"insert into public.notes (user_id, body) values ('{USER}', 'mine')",
                 "set role authenticated", f"set request.jwt.claims = '{claims}'")
    assert rows == [(1,)]
    assert query(url, "select count(*) from public.notes", "set role anon") == [(0,)]


def test_pg_net_stub_is_created_in_net_whatever_the_schema_and_reported(baseline_db: tuple[str, Baseline]) -> None:
    """hivecom, pgflow, Cap-go and liam write `create extension pg_net with schema extensions`: our
    first stub fixed its schema to net and PostgreSQL refused ("must be installed in schema net")."""
    url, _ = baseline_db
    rows = query(url, "select net.http_post('https://example.com/hook', '{\"a\": 1}'::jsonb)",
                 "create extension if not exists pg_net with schema extensions")
    assert rows == [(1,)]
    assert query(url, "select method, url from net.http_request_queue") == [("POST", "https://example.com/hook")]
    with psycopg.connect(url, autocommit=True) as conn:
        assert "pg_net" in installed_stubs(conn)
        assert install_extension_or_stub(conn, "pg_net") == "stub"
        assert install_extension_or_stub(conn, "pg_trgm") == "real"


def test_relocatable_stub_goes_where_with_schema_says(baseline_db: tuple[str, Baseline]) -> None:
    """mckaywrigley/chatbot-ui: `create extension http with schema extensions` failed with a syntax
    error at "@": PostgreSQL substitutes @extschema@ only in scripts of non-relocatable extensions."""
    url, _ = baseline_db
    rows = query(url, "select (extensions.http_get('https://example.com')).status",
                 "create extension http with schema extensions")
    assert rows == [(503,)]


def test_pgmq_stub_queues_messages(baseline_db: tuple[str, Baseline]) -> None:
    """hivecom/hivecom.net: `select from pgmq.create('queue_sync_steam')` failed with "column
    reference queue_name is ambiguous" inside our stub (a PL/pgSQL parameter named like the column)."""
    url, _ = baseline_db
    rows = query(url, "select message ->> 'n' from pgmq.read('jobs', 30, 5)",
                 "create extension if not exists pgmq",
                 "select from pgmq.create('jobs')", "select pgmq.send('jobs', '{\"n\": \"1\"}')")
    assert rows == [("1",)]


def test_wrappers_stub_takes_fdw_ddl_and_fails_any_query(baseline_db: tuple[str, Baseline]) -> None:
    """QuivrHQ/quivr (2024) creates a Stripe wrapper, server and foreign tables in its first migration;
    with no wrappers the whole history stopped there. The stub takes the DDL and never fetches."""
    url, _ = baseline_db
    setup = ("create extension if not exists wrappers with schema extensions",
             "create foreign data wrapper stripe_wrapper handler extensions.stripe_fdw_handler",
             "create server stripe_server foreign data wrapper stripe_wrapper options (api_key 'sk_test_x')",
             "create foreign table public.customers (id text) server stripe_server options (object 'customers')")
    with pytest.raises(psycopg.errors.InternalError, match="filename or program is required"):
        query(url, "select * from public.customers", *setup)


def test_unknown_extension_fails_with_a_diagnosis(baseline_db: tuple[str, Baseline]) -> None:
    """hivecom/hivecom.net on PG 17 creates pgjwt (hosted dropped it on 17); Cap-go/capgo needed hypopg
    before it was installed: each failure must say whose problem it is."""
    url, _ = baseline_db
    with psycopg.connect(url, autocommit=True) as conn:
        assert install_extension_or_stub(conn, "no_such_ext") is None
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="no_such_ext"):
            conn.execute("create extension no_such_ext")
    assert "not offered by Supabase" in diagnose_extension("no_such_ext", 15)
    assert "not offered by Supabase on PostgreSQL 17" in diagnose_extension("pgjwt", 17)
    assert "cannot be stubbed honestly" in diagnose_extension("timescaledb", 15)
    assert "apt-get install postgresql-15-postgis-3" in diagnose_extension("postgis", 15)
    assert "no Debian 12 package for PostgreSQL 17" in diagnose_extension("postgis", 17)


def pg17_bin() -> Path | None:
    """PG 17 as `scripts/install-rehearsal 17` unpacks it (Debian 12 has no PG 17 package)."""
    for candidate in (os.environ.get("REHEARSE_PG17_BIN", ""), "/opt/supabase-orchestrator/postgresql-17/bin",
                      str(Path.home() / ".cache/supabase-orchestrator/postgresql-17/bin")):
        if candidate and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    return None


@pytest.mark.skipif(pg17_bin() is None, reason="no PostgreSQL 17: run scripts/install-rehearsal 17")
def test_pg17_baseline_has_no_pgjwt_and_a_pg_cron_stub() -> None:
    """hivecom/hivecom.net, pgflow, Cap-go and tripsage-ai declare major_version 17: hosted PG 17 has no
    pgjwt (hivecom's 2025 dump creates it: a real failure), and Debian has no pg_cron for 17, so
    pgflow's cron.schedule('1 second') runs on the declared stub."""
    root = Path(tempfile.mkdtemp(prefix="rehearsal-install-"))
    root.chmod(0o755)
    before = os.environ.get("PG_BIN")
    os.environ["PG_BIN"] = str(private_installation(root / "pg", find_layout(pg17_bin())))  # type: ignore[arg-type]
    try:
        cluster = PostgresCluster().start()
    finally:
        os.environ.pop("PG_BIN") if before is None else os.environ.update(PG_BIN=before)
    try:
        baseline = apply_baseline(cluster.url(), major=17)
        assert baseline.stubs == ["pg_graphql", "supabase_vault"]
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            assert conn.execute("show server_version_num").fetchone()[0].startswith("17")  # type: ignore[index]
            assert install_extension_or_stub(conn, "pgjwt") is None
            assert install_extension_or_stub(conn, "pg_cron", schema="pg_catalog") == "stub"
            assert conn.execute("select cron.schedule('w', '1 second', 'select 1')").fetchone() == (1,)
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid schedule"):
                conn.execute("select cron.schedule('x', 'every minute', 'select 1')")
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
