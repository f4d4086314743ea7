"""Runs of playbooks without the supabase CLI: verify, pause, journal, exit codes, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.journal import read_events

REF = "abcdefghijklmnopqrst"


def write_playbook(root: Path, steps: str, env_extra: str = "") -> Path:
    (root / "supabase" / "migrations").mkdir(parents=True, exist_ok=True)
    pb = root / "playbook.yaml"
    pb.write_text(f"version: 1\nname: basic\nenvironments:\n  local:\n    project_ref: {REF}\n"
                  f"    db_url: ${{TEST_DB_URL}}\n{env_extra}steps:\n{steps}")
    return pb


def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=input)
    return result.exit_code, result.output


def journal_events(root: Path) -> list[dict]:
    [path] = sorted((root / ".orchestrator" / "runs").glob("*.jsonl"))
    return list(read_events(path))


@pytest.fixture
def seeded_db(fresh_db: str) -> str:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("create table task_types (name text primary key); insert into task_types values ('wan_2_2_i2v')")
    return fresh_db


VERIFY = """\
  - verify:
      - {name: wan exists, sql: "select 1 from task_types where name = 'wan_2_2_i2v'", expect_rows: 1}
      - {name: count, sql: "select count(*) from task_types", expect: 1}
"""


def test_verify_passes_and_journal_records_steps(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, VERIFY)
    code, out = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 0, out
    events = journal_events(tmp_path)
    assert [e["event"] for e in events] == ["run_start", "env_start", "step_start", "step_end", "env_end", "run_end"]
    assert events[3]["status"] == "ok" and events[-1]["exit_code"] == 0
    assert events[0]["playbook_sha256"] and events[0]["environments"] == ["local"]


def test_verify_failure_exits_1_with_query_expected_and_actual(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, "  - verify:\n      - {name: two rows, sql: select name from task_types, "
                                  "expect_rows: 2}\n  - pause: {}\n")
    code, out = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 1
    assert "expected 2 row(s), got 1 row(s)" in out and "select name from task_types" in out
    ends = [e for e in journal_events(tmp_path) if e["event"] == "step_end"]
    assert [e["status"] for e in ends] == ["failed"]  # the pause after it never ran


def test_verify_is_read_only(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, "  - verify:\n      - {name: sneaky, sql: delete from task_types returning 1, "
                                  "expect_rows: 0}\n")
    code, out = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 1 and "read-only" in out
    with psycopg.connect(seeded_db) as conn:
        assert conn.execute("select count(*) from task_types").fetchone() == (1,)


def test_pause_without_terminal_or_yes_exits_4_and_names_the_flag(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, "  - pause: {message: Check the dashboard, timeout: 15m}\n" + VERIFY)
    code, out = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 4
    assert "Check the dashboard" in out and "--yes" in out
    assert [e["status"] for e in journal_events(tmp_path) if e["event"] == "step_end"] == ["stopped"]


def test_pause_with_yes_continues(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, "  - pause: {message: Check the dashboard}\n" + VERIFY)
    code, out = invoke("run", str(pb), "--env", "local", "--yes", env={"TEST_DB_URL": seeded_db})
    assert code == 0, out


def test_requires_approval_needs_approve_not_just_yes(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, VERIFY, env_extra="    requires_approval: true\n")
    code, out = invoke("run", str(pb), "--env", "local", "--yes", env={"TEST_DB_URL": seeded_db})
    assert code == 4 and "--approve" in out
    code, out = invoke("run", str(pb), "--env", "local", "--approve", env={"TEST_DB_URL": seeded_db})
    assert code == 0, out


def test_json_output_is_one_document(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, VERIFY)
    result = CliRunner().invoke(app, ["run", str(pb), "--env", "local", "--output", "json"],
                                env={"TEST_DB_URL": seeded_db})
    report = json.loads(result.stdout)
    assert report["outcome"] == "succeeded" and report["steps"][0]["status"] == "ok"


def test_resume_skips_finished_steps(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, VERIFY + "  - pause: {message: wait}\n")
    code, _ = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 4
    [journal] = (tmp_path / ".orchestrator" / "runs").glob("*.jsonl")
    run_id = journal.stem
    code, out = invoke("resume", run_id, "--project-dir", str(tmp_path), "--yes", env={"TEST_DB_URL": seeded_db})
    assert code == 0, out
    [resumed] = [p for p in (tmp_path / ".orchestrator" / "runs").glob("*.jsonl") if p.stem != run_id]
    ends = [e for e in read_events(resumed) if e["event"] == "step_end"]
    assert [(e["index"], e["status"]) for e in ends] == [(0, "skipped"), (1, "ok")]


def test_secrets_in_db_url_never_reach_output_or_journal(tmp_path: Path, seeded_db: str) -> None:
    password = seeded_db.split(":")[2].split("@")[0]
    pb = write_playbook(tmp_path, "  - verify:\n      - {name: bad, sql: select nope, expect_rows: 1}\n")
    code, out = invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert code == 1
    assert password not in out
    assert password not in "".join(p.read_text() for p in (tmp_path / ".orchestrator").rglob("*.jsonl"))


def test_journal_dir_is_git_ignored(tmp_path: Path, seeded_db: str) -> None:
    pb = write_playbook(tmp_path, VERIFY)
    invoke("run", str(pb), "--env", "local", env={"TEST_DB_URL": seeded_db})
    assert (tmp_path / ".orchestrator" / ".gitignore").read_text().strip().endswith("*")
