"""The git adapter against real repositories."""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from git_helpers import commit_all, run_git, write

from orchestrator.adapters.git import CommitInfo, Git
from orchestrator.errors import InputError

FN = "supabase/functions/create-task"
SHARED = "supabase/functions/_shared"


def snapshot(repo: Path) -> tuple[str, str, str, bytes]:
    """What a rollback must not change: HEAD, branch, status and the index file."""
    return (run_git(repo, "rev-parse", "HEAD"), run_git(repo, "symbolic-ref", "HEAD"),
            run_git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes())


def test_root_head_branch(repo: Path) -> None:
    assert Git.root(repo / "supabase" / "functions") == repo.resolve()
    assert Git.root(repo / FN / "index.ts") == repo.resolve()
    git = Git.at(repo / "supabase")
    assert git.head() == run_git(repo, "rev-parse", "HEAD")
    assert git.current_branch() == "main"
    run_git(repo, "checkout", "-q", "--detach", "v1")
    assert git.current_branch() is None


def test_root_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match="not inside a git repository"):
        Git.root(plain)


def test_dirty_paths(repo: Path) -> None:
    git = Git(repo)
    assert git.dirty_paths() == []
    write(repo, f"{FN}/index.ts", "changed\n")
    write(repo, f"{FN}/untracked dir/x.ts", "new\n")
    write(repo, f"{FN}/debug.log", "ignored\n")
    run_git(repo, "mv", "supabase/migrations/0001_init.sql", "supabase/migrations/0002_renamed.sql")
    assert git.dirty_paths() == [f"{FN}/index.ts", f"{FN}/untracked dir/x.ts",
                                 "supabase/migrations/0002_renamed.sql"]
    assert git.dirty_paths([FN]) == [f"{FN}/index.ts", f"{FN}/untracked dir/x.ts"]


def test_resolve(repo: Path) -> None:
    git = Git(repo)
    v1 = run_git(repo, "rev-parse", "v1")
    assert git.resolve("v1") == v1 == git.resolve(v1[:8]) == git.resolve("HEAD~1")
    for bad in ("nope", "v9", "--help", "HEAD~5", "0" * 40):
        with pytest.raises(InputError, match="unknown git revision") as caught:
            git.resolve(bad)
        assert caught.value.exit_code == 2


def test_commit_info_and_user(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git = Git(repo)
    info = git.commit_info("HEAD")
    assert info == CommitInfo(git.head(), "Ada Lovelace", "ada@example.com",
                              datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
                              "v2: second version")
    assert git.user() == getpass.getuser()  # no user.name/email configured: the OS user
    run_git(repo, "config", "user.name", "Grace Hopper")
    run_git(repo, "config", "user.email", "grace@example.com")
    assert git.user() == "Grace Hopper <grace@example.com>"


def test_export_paths_rebuilds_old_version_without_touching_the_checkout(repo: Path, tmp_path: Path) -> None:
    git = Git(repo)
    write(repo, f"{FN}/index.ts", "uncommitted work\n")  # the user's edits must survive
    before = snapshot(repo)
    dest = tmp_path / "out"
    written = git.export_paths("v1", [FN, SHARED + "/"], dest)
    assert sorted(written) == [f"{SHARED}/util.ts", f"{FN}/index.ts"]
    assert (dest / FN / "index.ts").read_text() == "export const v = 1;\n"
    assert (dest / SHARED / "util.ts").read_text() == "export const shared = 1;\n"
    assert not (dest / FN / "new.ts").exists()
    assert not (dest / "supabase/functions/create-task-v2").exists()  # a prefix is not a folder
    assert snapshot(repo) == before
    assert (repo / FN / "index.ts").read_text() == "uncommitted work\n"


def test_export_paths_keeps_modes_and_symlinks(repo: Path, tmp_path: Path) -> None:
    write(repo, f"{FN}/run.sh", "#!/bin/sh\n")
    os.chmod(repo / FN / "run.sh", 0o755)
    os.symlink("../_shared/util.ts", repo / FN / "util.ts")
    commit_all(repo, "v3")
    Git(repo).export_paths("HEAD", [FN], tmp_path / "out")
    assert os.access(tmp_path / "out" / FN / "run.sh", os.X_OK)
    assert os.readlink(tmp_path / "out" / FN / "util.ts") == "../_shared/util.ts"
    assert Git(repo).tree_hash("HEAD", [FN]) == Git(repo).working_hash([FN])


def test_export_paths_missing_at_that_commit(repo: Path, tmp_path: Path) -> None:
    git = Git(repo)
    with pytest.raises(InputError, match=r"not in commit [0-9a-f]{12}: supabase/functions/later"):
        git.export_paths("v1", [FN, "supabase/functions/later"], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert git.export_paths("v1", [FN, "supabase/functions/later"], tmp_path / "out", missing_ok=True) == [
        f"{FN}/index.ts"]
    assert git.missing_paths("v1", [FN, "nope"]) == ["nope"]
    with pytest.raises(InputError, match="inside the repository"):
        git.export_paths("v1", ["../etc"], tmp_path / "out")


def test_export_overwrites_previous_files(repo: Path, tmp_path: Path) -> None:
    git, dest = Git(repo), tmp_path / "out"
    git.export_paths("HEAD", [FN], dest)
    git.export_paths("v1", [FN], dest)
    assert (dest / FN / "index.ts").read_text() == "export const v = 1;\n"


def test_show_file(repo: Path) -> None:
    git = Git(repo)
    assert git.show_file("v1", f"{FN}/index.ts") == b"export const v = 1;\n"
    assert git.show_file("v1", f"{FN}/new.ts") is None
    assert git.show_file("v1", FN) is None  # a folder is not a file


def test_tree_hash_and_working_hash_agree(repo: Path) -> None:
    git = Git(repo)
    paths = [FN, SHARED]
    head_hash = git.tree_hash("HEAD", paths)
    assert git.working_hash(paths) == head_hash == git.working_hash(list(reversed(paths)))
    assert git.tree_hash("v1", paths) != head_hash
    assert git.tree_hash("HEAD", [FN]) != head_hash
    write(repo, f"{FN}/debug.log", "ignored files don't count\n")
    assert git.working_hash(paths) == head_hash
    write(repo, f"{FN}/extra.ts", "untracked files do\n")
    assert git.working_hash(paths) != head_hash
    (repo / FN / "extra.ts").unlink()
    (repo / FN / "new.ts").unlink()  # a deleted tracked file is gone from the working tree
    assert git.working_hash(paths) != head_hash
    run_git(repo, "checkout", "-q", "v1", "--", FN, SHARED)
    (repo / FN / "new.ts").unlink(missing_ok=True)
    assert git.working_hash(paths) == git.tree_hash("v1", paths)


def test_changed_files(repo: Path) -> None:
    git = Git(repo)
    assert git.changed_files("HEAD") == []
    assert git.changed_files("v1", [FN]) == [f"{FN}/index.ts", f"{FN}/new.ts"]
    write(repo, "supabase/migrations/0002_new.sql", "select 1;\n")  # untracked
    write(repo, "supabase/migrations/0003_staged.sql", "select 2;\n")
    run_git(repo, "add", "supabase/migrations/0003_staged.sql")
    run_git(repo, "rm", "-q", "supabase/migrations/0001_init.sql")  # deleted: nothing to lint
    assert git.changed_files("HEAD", ["supabase/migrations"]) == [
        "supabase/migrations/0002_new.sql", "supabase/migrations/0003_staged.sql"]


def test_files_differ_and_ancestry(repo: Path) -> None:
    git = Git(repo)
    assert git.files_differ("v1", "HEAD", [FN]) == [f"{FN}/index.ts", f"{FN}/new.ts"]
    assert git.files_differ("HEAD", "v1") == [f"{SHARED}/util.ts", f"{FN}/index.ts", f"{FN}/new.ts"]
    assert git.files_differ("v1", "v1") == []
    assert git.is_ancestor("v1", "HEAD") and not git.is_ancestor("HEAD", "v1")
    run_git(repo, "checkout", "-q", "-b", "side", "v1")
    write(repo, "x.txt", "x")
    side = commit_all(repo, "side")
    assert not git.is_ancestor(side, "main")


def test_refs_and_notes(repo: Path) -> None:
    git = Git(repo)
    before = snapshot(repo)
    assert git.read_ref("refs/orchestrator/ledger") is None
    git.update_ref("refs/orchestrator/ledger", git.resolve("v1"))
    assert git.read_ref("refs/orchestrator/ledger") == git.resolve("v1")
    assert git.note("HEAD", "refs/notes/orchestrator") is None
    git.set_note("HEAD", "refs/notes/orchestrator", '{"deployed": "create-task"}\n')
    git.set_note("HEAD", "refs/notes/orchestrator", '{"deployed": "create-task", "v": 2}\n')
    assert git.note("HEAD", "refs/notes/orchestrator") == '{"deployed": "create-task", "v": 2}\n'
    assert snapshot(repo) == before
