"""Real git repositories in temp dirs, isolated from the machine's git config."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_helpers import commit_all, run_git, write


@pytest.fixture(autouse=True)
def git_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Ada Lovelace")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "ada@example.com")
        monkeypatch.setenv(f"GIT_{who}_DATE", "2024-05-01T12:00:00+02:00")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits: v1 then v2 of supabase/functions/create-task and _shared."""
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    write(root, "supabase/functions/create-task/index.ts", "export const v = 1;\n")
    write(root, "supabase/functions/create-task-v2/index.ts", "other\n")
    write(root, "supabase/functions/_shared/util.ts", "export const shared = 1;\n")
    write(root, "supabase/migrations/0001_init.sql", "create table t (id int);\n")
    write(root, ".gitignore", "*.log\n")
    commit_all(root, "v1: first version")
    run_git(root, "tag", "v1")
    write(root, "supabase/functions/create-task/index.ts", "export const v = 2;\n")
    write(root, "supabase/functions/create-task/new.ts", "added in v2\n")
    write(root, "supabase/functions/_shared/util.ts", "export const shared = 2;\n")
    commit_all(root, "v2: second version")
    return root
