"""Filesystem, git and executable problems are exit 2 with what to do, never exit 3 (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app

PLAYBOOK = """\
version: 1
name: t
environments:
  local:
    project_ref: abcdefghijklmnopqrst
    db_url: postgresql://postgres@127.0.0.1:1/none
    api_url: http://127.0.0.1:1
steps:
  - migrations: {}
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "20240101000000_a.sql").write_text("create table a (id int);\n")
    (tmp_path / "supabase" / "functions" / "hello").mkdir(parents=True)
    (tmp_path / "supabase" / "functions" / "hello" / "index.ts").write_text("Deno.serve(() => new Response());\n")
    (tmp_path / "orchestrator.yaml").write_text(PLAYBOOK)
    return tmp_path


def invoke(cwd: Path, *args: str, **env: str) -> tuple[int, str]:
    import os

    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), env={"SUPABASE_ACCESS_TOKEN": "sbp_x" * 8, **GIT_ENV, **env})
    finally:
        os.chdir(here)
    return result.exit_code, result.output


def _logging_cli(folder: Path) -> Path:
    """A stand-in `supabase` that records its argv: proves nothing was spawned."""
    cli = folder / "fake-supabase"
    cli.write_text(f"#!/bin/sh\necho \"$@\" >> {folder / 'argv.log'}\necho 3.1.0\n")
    cli.chmod(0o755)
    return cli


@pytest.mark.parametrize(("content", "mode", "phrase"), [
    ("#!/bin/sh\necho 3.1.0\n", 0o644, "is not executable"),
    ("not a program at all", 0o755, "cannot run the supabase CLI"),
], ids=["no-x-bit", "not-a-program"])
def test_an_unusable_supabase_cli_is_exit_2(project: Path, content: str, mode: int, phrase: str) -> None:
    cli = project / "supabase-cli"
    cli.write_text(content)
    cli.chmod(mode)
    code, out = invoke(project, "run", "orchestrator.yaml", "--env", "local", "--yes", SUPABASE_CLI=str(cli))
    assert code == 2, out
    assert phrase in out and "internal error" not in out


def test_an_unwritable_state_dir_is_exit_2(project: Path) -> None:
    (project / ".orchestrator").write_text("a file where the state folder goes")
    code, out = invoke(project, "run", "orchestrator.yaml", "--env", "local", "--yes",
                       SUPABASE_CLI=str(_logging_cli(project)))
    assert code == 2, out
    assert "cannot create" in out and ".orchestrator" in out
    assert not (project / "argv.log").exists()


def test_functions_outside_git_are_refused_before_anything_runs(project: Path) -> None:
    (project / "orchestrator.yaml").write_text(PLAYBOOK + "  - functions: {names: [hello]}\n")
    code, out = invoke(project, "run", "orchestrator.yaml", "--env", "local", "--yes",
                       SUPABASE_CLI=str(_logging_cli(project)))
    assert code == 2, out
    assert "not in a git repository with a commit" in out
    assert not (project / "argv.log").exists()  # no db push went out first


def test_a_repository_without_commits_is_refused_too(project: Path) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "orchestrator.yaml").write_text(PLAYBOOK + "  - functions: {names: [hello]}\n")
    code, out = invoke(project, "run", "orchestrator.yaml", "--env", "local", "--yes",
                       SUPABASE_CLI=str(_logging_cli(project)))
    assert code == 2 and "with a commit" in out, out


@pytest.mark.parametrize("name", ["../../etc", "a/b", "a b", ""])
def test_rollback_of_a_path_is_exit_2(project: Path, name: str) -> None:
    code, out = invoke(project, "rollback", name, "--env", "local", "--to", "HEAD")
    assert code == 2, out
    assert "is not a function name" in out


@pytest.mark.parametrize("run_id", ["../../etc/passwd", "x"])
def test_resume_of_a_path_is_exit_2(project: Path, run_id: str) -> None:
    code, out = invoke(project, "resume", run_id, "--project-dir", str(project))
    assert code == 2 and "is not a run id" in out, out


def _journal(project: Path, lines: list[str]) -> str:
    run_id = "20260101T000000Z-abcdef"
    runs = project / ".orchestrator" / "runs"
    runs.mkdir(parents=True)
    (runs / f"{run_id}.jsonl").write_text("".join(lines))
    return run_id


def test_resume_of_a_damaged_journal_is_exit_2_with_the_line(project: Path) -> None:
    start = json.dumps({"event": "run_start", "playbook": str(project / "orchestrator.yaml"),
                        "playbook_sha256": "0", "environments": ["local"]})
    run_id = _journal(project, [start + "\n", '{"event": "step_st\n', '{"event": "step_end"}\n'])
    code, out = invoke(project, "resume", run_id, "--project-dir", str(project))
    assert code == 2, out
    assert f"{run_id}.jsonl:2: not a journal line" in out


def test_resume_of_a_journal_cut_by_a_kill_reads_what_is_there(project: Path) -> None:
    start = json.dumps({"event": "run_start", "playbook": str(project / "orchestrator.yaml"),
                        "playbook_sha256": "0", "environments": ["local"]})
    run_id = _journal(project, [start + "\n", '{"event": "step_start", "env": "lo'])
    code, out = invoke(project, "resume", run_id, "--project-dir", str(project))
    assert code == 2, out
    assert "changed since run" in out  # got past reading: the playbook hash is what stops it


def test_resume_of_a_journal_without_a_usable_start_is_exit_2(project: Path) -> None:
    run_id = _journal(project, ['{"event": "run_start", "environments": "local"}\n'])
    code, out = invoke(project, "resume", run_id, "--project-dir", str(project))
    assert code == 2 and "no usable run_start" in out, out


def test_a_hanging_cli_is_stopped_at_the_steps_cli_timeout(project: Path, fresh_db: str) -> None:
    """A CLI that never answers used to mean 15 minutes of silence (the dry run had no bound)."""
    cli = project / "hanging-supabase"
    cli.write_text("#!/bin/sh\ncase \"$*\" in *--version*) echo 3.1.0 ;; *) sleep 300 ;; esac\n")
    cli.chmod(0o755)
    (project / "orchestrator.yaml").write_text(PLAYBOOK.replace("  - migrations: {}", "  - migrations: {cli_timeout: 2s}")
                                               .replace("postgresql://postgres@127.0.0.1:1/none", fresh_db))
    import time

    started = time.monotonic()
    code, out = invoke(project, "run", "orchestrator.yaml", "--env", "local", "--yes", SUPABASE_CLI=str(cli))
    assert code == 1, out
    assert "timed out after 2s" in out and time.monotonic() - started < 60


def test_the_clis_own_state_files_are_not_changes_of_the_project(project: Path) -> None:
    from orchestrator.fingerprint import differences, tree_state
    from orchestrator.playbook.loader import load_playbook

    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *argv], cwd=project, check=True, env={**os.environ, **GIT_ENV}, capture_output=True)
    pb = load_playbook(project / "orchestrator.yaml", {})
    before = tree_state(pb)
    (project / "supabase" / ".temp").mkdir()
    (project / "supabase" / ".temp" / "linked-project.json").write_text("{}")  # written by the supabase CLI
    assert differences(before, tree_state(pb)) == []
    (project / "supabase" / "migrations" / "20240101000000_a.sql").write_text("drop table a;\n")
    assert differences(before, tree_state(pb)) == ["migration 20240101000000_a.sql changed",
                                                   "uncommitted changes differ: supabase/migrations/20240101000000_a.sql"]
