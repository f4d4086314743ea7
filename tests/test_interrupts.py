"""Ctrl-C and SIGTERM during `db push` (issue 12). The CLI runs in its own session, so a terminal's
Ctrl-C or a CI runner's SIGTERM reaches only the orchestrator: it must stop the CLI's process group,
wait for it (bounded), read the history back, journal what was applied, and exit 130 / 143 — and
nothing may be applied after it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from test_migrations_cli import history, make_project

from orchestrator.journal import read_events

SLOW = {
    "20240101000001_a.sql": "create table a (id int);\n",
    "20240101000002_slow.sql": "create table b (id int);\nselect pg_sleep(6);\n",
    "20240101000003_c.sql": "create table c (id int);\n",
    "20240101000004_d.sql": "create table d (id int);\n",
}


def _wait_for_sleep(db_url: str, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        with psycopg.connect(db_url, autocommit=True) as conn:
            busy = conn.execute("select count(*) from pg_stat_activity where query like '%pg_sleep(6)%' "
                                "and pid <> pg_backend_pid()").fetchone()
        if busy and busy[0]:
            return
        time.sleep(0.2)
    raise AssertionError("db push never reached the slow migration")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["sigint", "sigterm"])
def test_an_interrupt_stops_db_push_and_says_what_was_applied(tmp_path: Path, fresh_db: str, supabase_v3: Path,
                                                              sig: int, code: int) -> None:
    pb = make_project(tmp_path, SLOW)
    env = {**os.environ, "TEST_DB_URL": fresh_db, "SUPABASE_CLI": str(supabase_v3)}
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", str(pb), "--env", "local", "--yes"],
                            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    _wait_for_sleep(fresh_db, proc)
    proc.send_signal(sig)  # to the orchestrator alone, as a terminal or CI runner does
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == code, out
    at_exit = history(fresh_db)
    time.sleep(8)  # longer than the slow migration had left: it must not complete after we exited
    assert history(fresh_db) == at_exit, out
    assert "20240101000003" not in at_exit and "20240101000004" not in at_exit
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        sleeping = conn.execute("select count(*) from pg_stat_activity where query like '%pg_sleep(6)%' "
                                "and pid <> pg_backend_pid()").fetchone()
    assert sleeping is not None and sleeping[0] == 0
    journal = next((tmp_path / ".orchestrator" / "runs").glob("*.jsonl"))
    events = list(read_events(journal))
    (stopped,) = [e for e in events if e["event"] == "interrupted"]
    assert stopped["in_flight"] == "db push"
    assert [n.split("_")[0] for n in stopped["applied"]] == at_exit
    assert len(stopped["applied"]) + len(stopped["not_applied"]) == 4
    assert any(e["event"] == "cli" and e.get("interrupted") for e in events)
    assert events[-1]["event"] == "run_end" and events[-1]["exit_code"] == code
    assert "db push was interrupted: applied" in out
