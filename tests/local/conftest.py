"""A session-wide local target (Postgres + Management API simulator + Deno gateway), and helpers
to run the real supabase CLI against it. Thin wrappers over orchestrator.local.target."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.local.postgres import find_pg_bin
from orchestrator.local.target import LocalTarget
from orchestrator.tools import local_deno, local_supabase


def _missing() -> str | None:
    try:
        find_pg_bin()
    except FileNotFoundError:
        return "PostgreSQL server binaries not installed"
    if local_deno() is None or local_supabase(3) is None:
        return "project-local deno/supabase not installed (scripts/install-tools)"
    return None


@pytest.fixture(scope="session")
def local_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    target = LocalTarget(tmp_path_factory.mktemp("local-target") / "state").start()
    try:
        yield target
    finally:
        target.stop()


def cli_env(target: LocalTarget, home: Path) -> dict[str, str]:
    """The process environment minus anything Supabase-ish of the developer, plus the target's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    return {**base, **target.cli_env(), "SUPABASE_HOME": str(home), "DO_NOT_TRACK": "1"}


def run_cli(target: LocalTarget, cwd: Path, *args: str, major: int = 3,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    binary = local_supabase(major)
    if binary is None:
        pytest.skip(f"supabase {major}.x not installed")
    result = subprocess.run([str(binary), *args], cwd=cwd, env=cli_env(target, cwd / ".supabase-home"),
                            capture_output=True, text=True, timeout=120, check=False)
    if check:
        shown = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", f"{' '.join(args)} exited {result.returncode}:\n"
                       f"{result.stdout}\n{result.stderr}")
        assert result.returncode == 0, f"supabase {shown}"
    return result


def write_function(project: Path, slug: str, source: str) -> Path:
    folder = project / "supabase" / "functions" / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.ts").write_text(source)
    return folder


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """An empty Supabase project folder (supabase/functions, supabase/migrations)."""
    (tmp_path / "supabase" / "functions").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    return tmp_path
