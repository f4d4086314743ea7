"""The migrations step with the real supabase CLI (3.1.0 and 2.122.1) and a throwaway Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from orchestrator.journal import read_events

PLAYBOOK = """\
version: 1
name: migrations
environments:
  local:
    project_ref: abcdefghijklmnopqrst
    db_url: ${{TEST_DB_URL}}
steps:
  - migrations: {{include_all: {include_all}}}
"""


def make_project(root: Path, files: dict[str, str], include_all: bool = False) -> Path:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (migrations / name).write_text(sql)
    pb = root / "playbook.yaml"
    pb.write_text(PLAYBOOK.format(include_all=str(include_all).lower()))
    return pb


def run(pb: Path, db_url: str, cli: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEST_DB_URL": db_url, "SUPABASE_CLI": str(cli)}
    return subprocess.run([sys.executable, "-m", "orchestrator", "run", str(pb), "--env", "local", "--yes"],
                          check=False, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def history(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("select version from supabase_migrations.schema_migrations order by 1").fetchall()
    return [r[0] for r in rows]


def migration_events(root: Path) -> list[dict]:
    [journal] = (root / ".orchestrator" / "runs").glob("*.jsonl")
    return list(read_events(journal))


THREE = {"20250101000000_a.sql": "create table a (id int);\n",
         "20250102000000_b.sql": "create table b (id int);\n",
         "20250103000000_c.sql": "alter table a add column note text default '';\n"}


def test_pushes_three_migrations_and_history_holds_them(tmp_path: Path, fresh_db: str,
                                                        supabase_cli_path: Path) -> None:
    pb = make_project(tmp_path, THREE)
    result = run(pb, fresh_db, supabase_cli_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert history(fresh_db) == ["20250101000000", "20250102000000", "20250103000000"]
    end = next(e for e in migration_events(tmp_path) if e["event"] == "step_end")
    assert end["details"]["applied"] == list(THREE)
    # a second run has nothing to do
    again = run(pb, fresh_db, supabase_cli_path)
    assert again.returncode == 0 and "no pending migrations" in again.stdout


def test_failing_second_migration_exits_1_and_journal_says_what_applied(tmp_path: Path, fresh_db: str,
                                                                       supabase_cli_path: Path) -> None:
    pb = make_project(tmp_path, {"20250101000000_a.sql": "create table a (id int);\n",
                                 "20250102000000_b.sql": "insert into missing_table values (1);\n"})
    result = run(pb, fresh_db, supabase_cli_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "migration 20250102000000_b.sql failed (applied before it: 20250101000000_a.sql)" in out
    assert 'relation "missing_table" does not exist' in out
    assert history(fresh_db) == ["20250101000000"]
    record = next(e for e in migration_events(tmp_path) if e["event"] == "migrations")
    assert record["applied"] == ["20250101000000_a.sql"]
    assert record["not_applied"] == ["20250102000000_b.sql"]


def test_out_of_order_file_needs_include_all(tmp_path: Path, fresh_db: str, supabase_cli_path: Path) -> None:
    pb = make_project(tmp_path, {"20250102000000_b.sql": "create table b (id int);\n"})
    assert run(pb, fresh_db, supabase_cli_path).returncode == 0
    make_project(tmp_path, {"20250101000000_a.sql": "create table a (id int);\n"})
    result = run(pb, fresh_db, supabase_cli_path)
    assert result.returncode == 1
    assert "include_all" in result.stdout + result.stderr
    pb = make_project(tmp_path, {}, include_all=True)
    result = run(pb, fresh_db, supabase_cli_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert history(fresh_db) == ["20250101000000", "20250102000000"]


def test_database_password_never_printed_or_journaled(tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    password = fresh_db.split(":")[2].split("@")[0]
    pb = make_project(tmp_path, {"20250101000000_a.sql": "select * from nowhere;\n"})
    result = run(pb, fresh_db, supabase_v3)
    assert result.returncode == 1
    journal = "".join(p.read_text() for p in (tmp_path / ".orchestrator" / "runs").glob("*.jsonl"))
    assert password not in result.stdout + result.stderr + journal
    assert '"event": "cli"' in journal and "db push" in journal


def test_the_postgres_error_of_a_long_failing_statement_is_never_cut(tmp_path: Path, fresh_db: str,
                                                                   supabase_cli_path: Path) -> None:
    """The CLI prints the error, then the statement: with 5+ lines of statement the error itself
    (`relation ... does not exist`) was cut from the message."""
    statement = ("insert into public.tasks (\n  id\n)\nselect\n  t.id\nfrom public.tasks t\n"
                 "join public.taskz z on z.id = t.id;\n")  # the error points at line 7
    pb = make_project(tmp_path, {"20250101000000_a.sql": "create table public.tasks (id int);\n",
                                 "20250102000000_b.sql": statement})
    result = run(pb, fresh_db, supabase_cli_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'relation "public.taskz" does not exist' in result.stderr, result.stderr
    assert "20250102000000_b.sql" in result.stderr
