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


def test_resume_in_another_clone_uses_that_clones_playbook(tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    """A journal copied into another checkout (a CI artifact) names the first checkout's absolute
    path: resume must run this checkout's playbook, never silently the other one."""
    first_clone, second_clone = tmp_path / "a", tmp_path / "b"
    pb = make_project(first_clone, FILES)
    first = _orchestrator(first_clone, fresh_db, supabase_v3, "run", str(pb), "--env", "local", "--yes")
    assert first.returncode == 1
    journal = next((first_clone / ".orchestrator" / "runs").glob("*.jsonl"))
    run_id = next(read_events(journal))["run_id"]
    make_project(second_clone, {**FILES, "20240102000000_b.sql": "create table b (id int);\n"})
    (second_clone / ".orchestrator" / "runs").mkdir(parents=True)
    (second_clone / ".orchestrator" / "runs" / journal.name).write_bytes(journal.read_bytes())
    (first_clone / "playbook.yaml").unlink()  # were the first checkout's playbook read, this would fail
    resumed = _orchestrator(second_clone, fresh_db, supabase_v3, "resume", run_id, "--project-dir", str(second_clone),
                            "--yes", "--allow-changes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert history(fresh_db) == ["20240101000000", "20240102000000"]
    assert list((second_clone / ".orchestrator" / "runs").glob("*.jsonl")) != [journal]
    assert len(list((first_clone / ".orchestrator" / "runs").glob("*.jsonl"))) == 1  # nothing written there
