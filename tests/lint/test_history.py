"""History checks against a real Postgres whose schema_migrations was written by a real `db push`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.lint import AppliedMigration, filter_pending, lint_paths
from orchestrator.lint.history import cli_split, edited_offset
from orchestrator.local.postgres import PostgresCluster, find_pg_bin
from orchestrator.tools import local_supabase

INIT = """-- orders and their owners
create table public.orders (id bigint primary key, total numeric);

alter table public.orders enable row level security;
create function public.touch() returns trigger language plpgsql set search_path = '' as $$
begin
  new.total := coalesce(new.total, 0);  -- a ; inside the body
  return new;
end $$;
"""
SECOND = "alter table public.orders add column note text;\n"


def _have_pg() -> bool:
    try:
        find_pg_bin()
    except FileNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[AppliedMigration]]]:
    """A project pushed with the real CLI, and the history rows it wrote."""
    import psycopg

    work = tmp_path_factory.mktemp("push")
    folder = work / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_init.sql").write_text(INIT)
    (folder / "20240102000000_note.sql").write_text(SECOND)
    with PostgresCluster() as pg:
        argv = [str(local_supabase(3)), "db", "push", "--db-url", pg.url(), "--workdir", str(work), "--yes"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr.replace(pg.password, "***")
        with psycopg.connect(pg.url()) as conn:
            rows = conn.execute("select version, statements, name from supabase_migrations.schema_migrations "
                                "order by version").fetchall()
    yield folder, [AppliedMigration(v, tuple(s or ()), n or "") for v, s, n in rows]


def _copy(folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "migrations"
    shutil.copytree(folder, dest)
    return dest


@pytest.mark.cli
@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(local_supabase(3) is None or not _have_pg(), reason="needs install-tools and PostgreSQL 15")
class TestAgainstRealHistory:
    def test_our_split_matches_what_the_cli_stored(self, pushed: tuple[Path, list[AppliedMigration]]) -> None:
        _, applied = pushed
        assert [t for _, t in cli_split(INIT)] == list(applied[0].statements)
        assert edited_offset(SECOND, applied[1].statements) is None

    def test_unchanged_files_are_clean(self, pushed: tuple[Path, list[AppliedMigration]], tmp_path: Path) -> None:
        folder, applied = pushed
        report = lint_paths([_copy(folder, tmp_path)], applied=applied)
        assert not [f for f in report.findings if f.rule == "edited-applied-migration"]

    def test_edit_after_push_is_reported_at_the_changed_statement(
            self, pushed: tuple[Path, list[AppliedMigration]], tmp_path: Path) -> None:
        folder, applied = pushed
        dest = _copy(folder, tmp_path)
        init = dest / "20240101000000_init.sql"
        init.write_text(INIT.replace("enable row level security", "disable row level security"))
        found = [(f.path, f.line) for f in lint_paths([dest], applied=applied).findings
                 if f.rule == "edited-applied-migration"]
        assert found == [(str(init), 4)]

    def test_whitespace_only_edit_is_not_an_edit(
            self, pushed: tuple[Path, list[AppliedMigration]], tmp_path: Path) -> None:
        folder, applied = pushed
        dest = _copy(folder, tmp_path)
        (dest / "20240102000000_note.sql").write_text("\n\nalter table public.orders\n  add column note text ;\n")
        report = lint_paths([dest], applied=applied)
        assert not [f for f in report.findings if f.rule == "edited-applied-migration"]

    def test_pending_file_older_than_newest_applied(
            self, pushed: tuple[Path, list[AppliedMigration]], tmp_path: Path) -> None:
        folder, applied = pushed
        dest = _copy(folder, tmp_path)
        late = dest / "20240101120000_late.sql"
        late.write_text("alter table public.orders add column late text;\n")
        pending = filter_pending(sorted(dest.glob("*.sql")), [a.version for a in applied])
        assert pending == [late]
        report = lint_paths([dest], only=pending, applied=applied)
        assert [(f.rule, f.path) for f in report.findings if f.rule == "out-of-order-migration"] == \
            [("out-of-order-migration", str(late))]
        assert {f.path for f in report.findings} == {str(late)}  # applied files are read, not reported


def test_edited_offset_points_at_first_changed_statement() -> None:
    stored = ("create table a (id int)", "create table b (id int)")
    assert edited_offset("create table a (id int);\ncreate table b (id int);\n", stored) is None
    sql = "create table a (id int);\ncreate table b (id bigint);\n"
    assert edited_offset(sql, stored) == sql.index("create table b")


def test_cli_split_keeps_dollar_quotes_comments_and_atomic_bodies() -> None:
    sql = ("-- c1\ncreate table a (x int); /* b ; */ select ';';\n"
           "create function f() returns int begin atomic select 1; end;\ndo $x$ begin perform 1; end $x$;")
    assert [t for _, t in cli_split(sql)] == [
        "-- c1\ncreate table a (x int)", "/* b ; */ select ';'",
        "create function f() returns int begin atomic select 1; end", "do $x$ begin perform 1; end $x$"]
