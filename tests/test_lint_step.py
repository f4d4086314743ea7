"""The `lint` playbook step: only pending migrations are reported; set-wide rules read every file."""

from __future__ import annotations

from pathlib import Path

import psycopg
from typer.testing import CliRunner

from orchestrator.cli import app

REF = "abcdefghijklmnopqrst"
OLD = "create table public.old_t (id bigint primary key);\ncreate index old_idx on public.old_t (id);\n"
CLEAN = "create table public.new_t (id bigint primary key);\nalter table public.new_t enable row level security;\n"
BAD = "alter table public.old_t add column owner text not null;\n"


def project(root: Path, files: dict[str, str], fail_on: str = "error") -> Path:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    for name, sql in files.items():
        (migrations / name).write_text(sql)
    pb = root / "playbook.yaml"
    pb.write_text(f"version: 1\nname: l\nenvironments:\n  local:\n    project_ref: {REF}\n"
                  f"    db_url: ${{TEST_DB_URL}}\nsteps:\n  - lint: {{fail_on: {fail_on}}}\n")
    return pb


def mark_applied(db_url: str, version: str, sql: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create schema supabase_migrations; create table supabase_migrations.schema_migrations "
                     "(version text primary key, statements text[], name text)")
        conn.execute("insert into supabase_migrations.schema_migrations values (%s, %s, 'old')",
                     (version, [s.strip() for s in sql.split(";") if s.strip()]))


def test_applied_history_is_not_news(tmp_path: Path, fresh_db: str) -> None:
    pb = project(tmp_path, {"20250101000000_old.sql": OLD, "20250102000000_new.sql": CLEAN})
    mark_applied(fresh_db, "20250101000000", OLD)
    result = CliRunner().invoke(app, ["run", str(pb), "--env", "local"], env={"TEST_DB_URL": fresh_db})
    assert result.exit_code == 0, result.output
    assert "old_idx" not in result.output


def test_pending_violation_fails_the_step_with_file_and_line(tmp_path: Path, fresh_db: str) -> None:
    pb = project(tmp_path, {"20250101000000_old.sql": OLD, "20250102000000_bad.sql": "\n" + BAD})
    mark_applied(fresh_db, "20250101000000", OLD)
    result = CliRunner().invoke(app, ["run", str(pb), "--env", "local"], env={"TEST_DB_URL": fresh_db})
    assert result.exit_code == 1, result.output
    assert "20250102000000_bad.sql:2:" in result.output
    assert "old_idx" not in result.output


def test_fail_on_never_reports_but_passes(tmp_path: Path, fresh_db: str) -> None:
    pb = project(tmp_path, {"20250102000000_bad.sql": OLD + BAD}, fail_on="never")
    result = CliRunner().invoke(app, ["run", str(pb), "--env", "local"], env={"TEST_DB_URL": fresh_db})
    assert result.exit_code == 0, result.output
    assert "20250102000000_bad.sql" in result.output and "warning" in result.output
