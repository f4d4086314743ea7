"""Safe resume (issue 11): a migration edited after its run failed is not applied by `resume`
unless asked (--allow-changes), and preflight runs again either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_migrations_cli import history, make_project

from orchestrator.journal import read_events

FILES = {"20240101000000_a.sql": "create table a (id int);\n",
         "20240102000000_b.sql": "create table b (id int);\nselect * from missing_table;\n"}


def _orchestrator(root: Path, db_url: str, cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEST_DB_URL": db_url, "SUPABASE_CLI": str(cli)}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=root, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300, check=False)


def test_resume_refuses_an_edited_migration(tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    pb = make_project(tmp_path, FILES)
    first = _orchestrator(tmp_path, fresh_db, supabase_v3, "run", str(pb), "--env", "local", "--yes")
    assert first.returncode == 1, first.stdout + first.stderr
    run_id = next(read_events(next((tmp_path / ".orchestrator" / "runs").glob("*.jsonl"))))["run_id"]
    assert history(fresh_db) == ["20240101000000"]
    # "fixed" on the spot, with a drop table nobody reviewed
    (tmp_path / "supabase" / "migrations" / "20240102000000_b.sql").write_text("drop table a;\n")
    again = _orchestrator(tmp_path, fresh_db, supabase_v3, "resume", run_id, "--project-dir", str(tmp_path), "--yes")
    assert again.returncode == 2, again.stdout + again.stderr
    assert "migration 20240102000000_b.sql changed" in again.stderr and "--allow-changes" in again.stderr
    assert history(fresh_db) == ["20240101000000"]  # nothing applied
    forced = _orchestrator(tmp_path, fresh_db, supabase_v3, "resume", run_id, "--project-dir", str(tmp_path), "--yes",
                           "--allow-changes")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "changed since: migration 20240102000000_b.sql changed" in forced.stdout
    assert history(fresh_db) == ["20240101000000", "20240102000000"]
