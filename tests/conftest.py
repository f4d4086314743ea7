"""Shared fixtures: one throwaway Postgres per session, a fresh database per test, real git repos."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orchestrator.local.postgres import PostgresCluster, find_pg_bin
from orchestrator.tools import local_deno, local_supabase

GIT_ENV = {"GIT_AUTHOR_NAME": "Test Engineer", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test Engineer", "GIT_COMMITTER_EMAIL": "test@example.com"}


@pytest.fixture(autouse=True)
def forget_secrets() -> Iterator[None]:
    """The process-wide set of secrets (orchestrator.redact) is per process; a test process runs many
    commands: without this, a value one test registered is masked in every later test's output."""
    from orchestrator import redact

    yield
    redact._KNOWN.clear()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def fresh_db(pg_cluster: PostgresCluster) -> str:
    """A new empty database in the session cluster; returns its URL (password inside)."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return pg_cluster.url(name)


def require_local_target() -> None:
    """What a local target needs: PostgreSQL server binaries (skip without), Deno and the supabase CLI
    (fail without: scripts/setup installs them)."""
    try:
        find_pg_bin()
    except FileNotFoundError:
        pytest.skip("PostgreSQL server binaries not installed")
    if local_deno() is None or local_supabase(3) is None:
        pytest.fail("project-local deno/supabase not installed: run scripts/install-tools")


def supabase_binary(major: int) -> Path:
    binary = local_supabase(major)
    if binary is None:
        pytest.fail(f"supabase CLI v{major} not installed: run scripts/install-tools")
    return binary


@pytest.fixture(params=[3, 2], ids=["cli-v3", "cli-v2"])
def supabase_cli_path(request: pytest.FixtureRequest) -> Path:
    return supabase_binary(int(request.param))


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture
def git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def supabase_v3() -> Path:
    return supabase_binary(3)
