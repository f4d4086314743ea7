"""The `rehearse` step: pending migrations applied with the real `db push` to a throwaway copy of
the environment's schema, the locks and rewrites PostgreSQL itself reports for each statement, and
the environment left untouched when a migration fails there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from orchestrator.lint import LintConfig, lint_paths

ROOT = Path(__file__).resolve().parents[2]
BASE = "create table public.orders (id bigint primary key, total int);\n"
CASES = {  # line -> what PostgreSQL 15 takes (docs: "Explicit Locking"; ALTER TABLE)
    "create index orders_total on public.orders (total);": ("ShareLock", False),
    "alter table public.orders add column token uuid default gen_random_uuid();": ("AccessExclusiveLock", True),
    "alter table public.orders alter column total set not null;": ("AccessExclusiveLock", False),
    "alter table public.orders add constraint total_positive check (total > 0) not valid;":
        ("AccessExclusiveLock", False),
    "alter table public.orders validate constraint total_positive;": ("ShareUpdateExclusiveLock", False),
    "alter table public.orders add column note text default 'x';": ("AccessExclusiveLock", False),
}


def _project(root: Path, files: dict[str, str], steps: str) -> Path:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (migrations / name).write_text(sql)
    (root / "supabase" / "config.toml").write_text('project_id = "t"\n[inbucket]\nenabled = true\n')  # CLI 3 refuses
    pb = root / "pb.yaml"
    pb.write_text("version: 1\nname: r\nproject_dir: .\nenvironments:\n  staging:\n"
                  f"    project_ref: abcdefghijklmnopqrst\n    db_url: ${{TEST_DB_URL}}\nsteps:\n{steps}")
    return pb


def _orchestrator(pb: Path, db_url: str, cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEST_DB_URL": db_url, "SUPABASE_CLI": str(cli), "PYTHONPATH": str(ROOT), "CI": "true"}
    return subprocess.run([sys.executable, "-m", "orchestrator", "run", str(pb), "--env", "staging", "--yes",
                           "--output", "json", *args], cwd=pb.parent, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, check=False)


def _applied(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        return [r[0] for r in conn.execute("select version from supabase_migrations.schema_migrations order by 1")]


def _columns(db_url: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        return {r[0] for r in conn.execute("select column_name from information_schema.columns "
                                           "where table_name = 'orders'")}


def _base(tmp_path: Path, db_url: str, cli: Path, pending: str, rehearse: str = "{}") -> tuple[Path, dict[str, Any]]:
    """Apply the base migration for real, then add `pending` and run only a rehearse step."""
    push = _project(tmp_path, {"20250101000000_base.sql": BASE}, "  - migrations: {}\n")
    assert _orchestrator(push, db_url, cli).returncode == 0
    pb = _project(tmp_path, {"20250102000000_next.sql": pending}, f"  - rehearse: {rehearse}\n")
    result = _orchestrator(pb, db_url, cli)
    return pb, {"code": result.returncode, "doc": json.loads(result.stdout), "stderr": result.stderr}


@pytest.mark.postgres
@pytest.mark.cli
def test_the_lock_profile_is_what_postgres_reports_and_the_environment_is_untouched(
        tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    _, out = _base(tmp_path, fresh_db, supabase_v3, "\n".join(CASES) + "\n")
    assert out["code"] == 0, out["stderr"]
    [step] = out["doc"]["steps"]
    assert step["kind"] == "rehearse" and step["details"]["push"] == "applied"
    [profile] = step["details"]["files"]
    measured = {}
    for statement in profile["statements"]:
        [orders] = [lk for lk in statement["locks"] if lk["relation"] == "public.orders"]
        assert orders["existing"]
        measured[statement["sql"]] = (orders["mode"], "public.orders" in statement["rewrites"])
    assert measured == {sql.rstrip(";"): effect for sql, effect in CASES.items()}
    # the rehearsal changed nothing in the environment
    assert _applied(fresh_db) == ["20250101000000"] and _columns(fresh_db) == {"id", "total"}


@pytest.mark.postgres
@pytest.mark.cli
def test_a_migration_that_fails_on_the_copy_fails_the_step_with_the_clis_error(
        tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    _, out = _base(tmp_path, fresh_db, supabase_v3,
                   "alter table public.orders add column a int;\nalter table public.orderz add column b int;\n")
    assert out["code"] == 1
    error = out["doc"]["error"]
    assert "20250102000000_next.sql:2" in error and 'relation "public.orderz" does not exist' in error
    assert "db push" in error  # the CLI's own error, from the real push to the copy
    [failed] = out["doc"]["steps"][0]["details"]["files"]
    assert failed["status"] == "failed" and [s["line"] for s in failed["statements"]] == [1, 2]
    assert _applied(fresh_db) == ["20250101000000"] and _columns(fresh_db) == {"id", "total"}


@pytest.mark.postgres
@pytest.mark.cli
def test_forbid_fails_on_a_measured_rewrite_of_an_existing_table(tmp_path: Path, fresh_db: str,
                                                                supabase_v3: Path) -> None:
    _, out = _base(tmp_path, fresh_db, supabase_v3,
                   "alter table public.orders add column token uuid default gen_random_uuid();\n",
                   rehearse="{forbid: [rewrite]}")
    assert out["code"] == 1
    assert "20250102000000_next.sql:1 rewrites public.orders" in out["doc"]["error"]


def test_without_db_url_it_says_what_is_needed(tmp_path: Path) -> None:
    pb = _project(tmp_path, {"20250101000000_base.sql": BASE}, "  - rehearse: {}\n")
    pb.write_text(pb.read_text().replace("    db_url: ${TEST_DB_URL}\n", ""))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true", "SUPABASE_ACCESS_TOKEN": "sbp_" + "0" * 40,
           "ORCHESTRATOR_API_URL": "http://127.0.0.1:9"}
    result = subprocess.run([sys.executable, "-m", "orchestrator", "run", str(pb), "--env", "staging"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (1, 2)
    assert "db_url" in result.stderr


@pytest.mark.postgres
@pytest.mark.cli
def test_the_linter_flags_what_postgres_measures_as_blocking(tmp_path: Path, fresh_db: str,
                                                             supabase_v3: Path) -> None:
    """The linter reads text, the rehearsal measures: on these cases, the statements measured as
    making writes to an existing table wait while they read or rewrite it (a lock that blocks
    writes, held by the file's transaction during a scan or a rewrite) are exactly those the linter
    flags. A brief ACCESS EXCLUSIVE with no scan (ADD CONSTRAINT ... NOT VALID, a constant default)
    is not flagged, and VALIDATE is flagged only because the same file took ACCESS EXCLUSIVE first."""
    _, out = _base(tmp_path, fresh_db, supabase_v3, "\n".join(CASES) + "\n")
    [profile] = out["doc"]["steps"][0]["details"]["files"]
    blocking = {s["line"] for s in profile["statements"] if s["blocking"]}
    assert blocking == {1, 2, 3, 5}
    folder = tmp_path / "supabase" / "migrations"
    report = lint_paths([folder], LintConfig(), only=[folder / "20250102000000_next.sql"], root=tmp_path)
    flagged = {f.line for f in report.findings if f.rule not in {"require-lock-timeout"}}
    assert flagged == blocking, (sorted(flagged), sorted(blocking), [(f.line, f.rule) for f in report.findings])


@pytest.mark.postgres
@pytest.mark.cli
def test_the_rehearse_command_and_plan_show_the_profile(tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    """`orchestrator rehearse` runs the step alone; `plan` then shows what it measured, while the
    pending files are the same. The project's config.toml has `[inbucket]`, which supabase 3
    refuses outright: db push (for real and on the copy) must not read it."""
    pb, _ = _base(tmp_path, fresh_db, supabase_v3, "create index orders_total on public.orders (total);\n")
    env = {**os.environ, "TEST_DB_URL": fresh_db, "SUPABASE_CLI": str(supabase_v3), "PYTHONPATH": str(ROOT),
           "CI": "true"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "orchestrator", *args, str(pb), "--env", "staging"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300, check=False)

    done = cli("rehearse", "--output", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [statement] = doc["files"][0]["statements"]
    assert statement["blocking"] == ["public.orders"] and doc["push"] == "applied"
    shown = cli("plan")
    assert shown.returncode == 0, shown.stderr
    assert "line 1: SHARE on public.orders" in shown.stdout and "writes to public.orders wait" in shown.stdout
    assert _applied(fresh_db) == ["20250101000000"]
