"""resolve and export_paths stay fast in a repository with 5,000 commits (built with fast-import)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from git_helpers import run_git

from orchestrator.adapters.git import Git

COMMITS = 5000
FUNCTIONS = 40
BUDGET = 1.0  # seconds; measured figures are printed (pytest -s) and are far below this
T = TypeVar("T")


def fast_import_stream() -> bytes:
    """Commit i rewrites one file of function i % FUNCTIONS; every 10th also touches _shared."""
    out: list[bytes] = []
    for i in range(COMMITS):
        files = [(f"supabase/functions/fn-{i % FUNCTIONS:02d}/index.ts", f"export const v = {i};\n")]
        files += [(f"supabase/functions/fn-{i % FUNCTIONS:02d}/lib/util{i % 3}.ts", f"// {i}\n")]
        if i % 10 == 0:
            files.append(("supabase/functions/_shared/cors.ts", f"export const rev = {i};\n"))
        message = f"commit {i}\n".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"mark :{i + 1}\n".encode())
        out.append(f"committer Ada <ada@example.com> {1_700_000_000 + i} +0000\n".encode())
        out.append(b"data %d\n%s" % (len(message), message))
        if i:
            out.append(f"from :{i}\n".encode())
        for path, text in files:
            data = text.encode()
            out.append(f"M 100644 inline {path}\n".encode())
            out.append(b"data %d\n%s\n" % (len(data), data))
    return b"".join(out)


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=fast_import_stream(), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "-f", "main"], check=True)
    subprocess.run(["git", "-C", str(root), "tag", "old", "main~4321"], check=True)
    return root


def timed(label: str, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed * 1000:.1f} ms")
    assert elapsed < BUDGET, f"{label} took {elapsed:.2f}s"
    return result


def test_resolve_and_export_in_5000_commits(big_repo: Path, tmp_path: Path) -> None:
    git = Git(big_repo)
    assert run_git(big_repo, "rev-list", "--count", "HEAD") == str(COMMITS)
    old = timed("resolve tag", lambda: git.resolve("old"))
    assert timed("resolve HEAD~4321", lambda: git.resolve("HEAD~4321")) == old
    assert timed("resolve short sha", lambda: git.resolve(old[:10])) == old
    paths = ["supabase/functions/fn-01", "supabase/functions/_shared"]
    written = timed("export_paths", lambda: git.export_paths("old", paths, tmp_path / "out"))
    assert sorted(written) == ["supabase/functions/_shared/cors.ts", "supabase/functions/fn-01/index.ts",
                               "supabase/functions/fn-01/lib/util0.ts", "supabase/functions/fn-01/lib/util1.ts",
                               "supabase/functions/fn-01/lib/util2.ts"]
    # commit 679 = 5000-1-4321 is the tagged one; fn-01 was last written by commit 641
    assert (tmp_path / "out/supabase/functions/fn-01/index.ts").read_text() == "export const v = 641;\n"
    head_hash = timed("tree_hash", lambda: git.tree_hash("HEAD", paths))
    assert timed("working_hash", lambda: git.working_hash(paths)) == head_hash
    changed = timed("changed_files since old", lambda: git.changed_files("old", ["supabase/functions"]))
    assert len(changed) == FUNCTIONS * 4 + 1
