"""File order and out-of-order detection exactly as `db push` decides (issue 10), proven against the
real CLI: names sort as text and versions compare as text, so with mixed version lengths `3_c.sql`
is pending (it sorts after 2024...), while `20230101000000_d.sql` is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from orchestrator.lint import lint_paths
from orchestrator.lint.history import AppliedMigration
from orchestrator.lint.sources import expand
from orchestrator.tools import local_supabase

FILES = ["1_a.sql", "20240101000000_b.sql", "3_c.sql", "20230101000000_d.sql", "20250101000000_e.sql"]
APPLIED = ["1", "20240101000000"]


@pytest.fixture(params=[3, 2], ids=["cli-v3", "cli-v2"])
def refused_by_cli(request: pytest.FixtureRequest, tmp_path: Path, fresh_db: str) -> set[str]:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("create schema supabase_migrations; create table supabase_migrations.schema_migrations "
                     "(version text primary key, statements text[], name text)")
        for version in APPLIED:
            conn.execute("insert into supabase_migrations.schema_migrations (version) values (%s)", (version,))
    flag = f"--remote={fresh_db}" if request.param == 3 else f"--db-url={fresh_db}"
    binary = local_supabase(request.param)
    if binary is None:
        pytest.fail("supabase CLI not installed: run scripts/install-tools")
    done = subprocess.run([str(binary), "--workdir", str(_project(tmp_path)), "--yes", "db",
                           "push", "--dry-run", flag], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "inserted before the last migration" in out, out
    return {name for name in FILES if f"supabase/migrations/{name}" in out}


def _project(root: Path) -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).write_text("select 1;\n")
    return root


def test_out_of_order_matches_db_push(tmp_path: Path, refused_by_cli: set[str]) -> None:
    folder = tmp_path / "supabase" / "migrations"
    report = lint_paths([folder], applied=[AppliedMigration(v) for v in APPLIED])
    ours = {Path(f.path).name for f in report.findings if f.rule == "out-of-order-migration"}
    assert refused_by_cli == {"20230101000000_d.sql"}
    assert ours == refused_by_cli


def test_files_are_linted_in_the_cli_order(tmp_path: Path) -> None:
    folder = _project(tmp_path) / "supabase" / "migrations"
    assert [p.name for p in expand([folder])] == sorted(FILES)  # the CLI applies them by name
