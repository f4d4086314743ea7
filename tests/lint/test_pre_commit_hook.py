"""The pre-commit hook of .pre-commit-hooks.yaml, run by `pre-commit try-repo` from this checkout's
committed HEAD (it clones the repository and pip-installs it with its dependencies: about a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git
from tests.lint.conftest import V1, V2, V3

CHECKOUT = Path(__file__).resolve().parents[2]
CLEAN = f"supabase/migrations/{V2}_policy.sql"  # judged alone it would be 'RLS never enabled'
BAD = f"supabase/migrations/{V3}_index.sql"  # t was created by V1: it holds rows


@pytest.mark.slow
def test_the_hook_judges_the_changed_files_among_their_history(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, migrations: Callable[..., Path], git_env: None) -> None:
    migrations((f"{V1}_init.sql", "create table t (id bigint);\nalter table t enable row level security;\n"))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "history")
    (tmp_path / CLEAN).write_text("set lock_timeout = '1s';\ncreate policy p on t using (true);\n")
    (tmp_path / BAD).write_text("set lock_timeout = '1s';\ncreate index i on t (id);\n")
    home = tmp_path_factory.mktemp("pre-commit-home")
    # Both at once: each try-repo installs the hook into a throwaway store of its own.
    runs = [_try_repo(tmp_path, home, name) for name in (CLEAN, BAD)]
    try:
        (clean, clean_out), (bad, bad_out) = (_finish(run) for run in runs)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    assert clean == 0 and "Passed" in clean_out, clean_out
    assert bad == 1 and "Failed" in bad_out, bad_out
    assert f"{BAD}:2:1: error [require-concurrent-index]" in bad_out and CLEAN not in bad_out


def _try_repo(project: Path, home: Path, name: str) -> subprocess.Popen[str]:
    head = git(CHECKOUT, "rev-parse", "HEAD")  # committed state: uncommitted changes are not tried
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the hook must run what it installed
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.Popen([sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), "orchestrator-lint",
                             "--ref", head, "--files", name], cwd=project, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=600)
    return proc.returncode, out
