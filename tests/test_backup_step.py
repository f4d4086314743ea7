"""The backup step (issue 11): pg_dump before the migrations, checksummed, private, restorable; with
verify it is restored into a throwaway Postgres and every table's row count compared."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import psycopg

PLAYBOOK = """\
version: 1
name: backup
environments:
  local:
    project_ref: abcdefghijklmnopqrst
    db_url: ${TEST_DB_URL}
steps:
  - backup: {dir: backups, verify: true}
  - migrations: {}
"""


def test_backup_before_migrations_is_restorable(tmp_path: Path, fresh_db: str, supabase_v3: Path) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("create table orders (id int primary key, note text); "
                     "insert into orders select g, 'n' || g from generate_series(1, 500) g; "
                     "create schema app; create table app.people (id int); insert into app.people values (1), (2)")
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "20240101000000_drop.sql").write_text("alter table orders drop column note;\n")
    (tmp_path / "orchestrator.yaml").write_text(PLAYBOOK)
    env = {**os.environ, "TEST_DB_URL": fresh_db, "SUPABASE_CLI": str(supabase_v3)}
    done = subprocess.run([sys.executable, "-m", "orchestrator", "run", "orchestrator.yaml", "--env", "local", "--yes"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
                          check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "restored and checked: 3 table(s)" in out  # orders, app.people and the deploy lease
    (dump,) = (tmp_path / "backups").glob("local-*.dump")
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600 and stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
    journal = next((tmp_path / ".orchestrator" / "runs").glob("*.jsonl")).read_text()
    event = next(json.loads(line) for line in journal.splitlines() if '"event": "backup"' in line)
    assert event["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert event["restore"].startswith("pg_restore --clean --if-exists --no-owner --dbname")
    password = fresh_db.split(":")[2].split("@")[0]
    assert password not in out + journal
    # the dump holds the column the migration then dropped
    listing = subprocess.run(["pg_restore", "--schema-only", "--file=-", str(dump)], capture_output=True, text=True,
                             check=False).stdout
    assert "note text" in listing
