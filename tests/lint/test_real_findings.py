"""Error findings that are certainly false, found by benchmarks/lint_eval.py on real public Supabase projects.

Each case is our own minimal SQL (nothing copied from the projects) standing for a class of findings
seen there; the assertion is the correct behaviour. A new class lands here marked xfail(strict=True)
until its fix (the strict mark then fails, saying to drop it). Beside each, the counterparts that must
stay reported, measured against PostgreSQL or `supabase db push` as their docstrings say.

The earlier file stands for history (an existing, populated table); the later file is the pending
migration, judged as `orchestrator lint supabase/migrations` judges every file by default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.lint import lint_paths
from tests.lint.conftest import V1, V2, V3

HISTORY = """create table public.invoices (
  id bigint generated always as identity primary key,
  code text not null constraint invoices_code_key unique,
  issued_at timestamp not null default now(),
  paid boolean not null default false
);
alter table public.invoices enable row level security;
"""


def _errors(folder: Path, rule: str) -> list[tuple[int, str]]:
    report = lint_paths([folder])
    return [(f.line, f.message) for f in report.findings
            if f.rule == rule and getattr(f.severity, "value", f.severity) == "error"]


def test_update_without_where_inside_a_function_body_is_not_run_by_the_migration(
        migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_reset_fn.sql", """\
create or replace function public.reset_paid_flags() returns void
language plpgsql
set search_path = ''
as $$
begin
  update public.invoices set paid = false;
  delete from public.invoices;
end;
$$;
"""))
    assert _errors(folder, "update-delete-without-where") == []


def test_update_without_where_in_a_do_block_is_still_reported(migrations: Callable[..., Path]) -> None:
    """The counterpart, which must keep working: a DO block runs during the migration."""
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_reset.sql", """\
do $$
begin
  update public.invoices set paid = false;
end;
$$;
"""))
    assert [line for line, _ in _errors(folder, "update-delete-without-where")] == [3]


def test_drop_index_if_exists_after_its_constraint_was_dropped_is_a_no_op(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_drop_code_key.sql", """\
alter table public.invoices drop constraint invoices_code_key;

drop index if exists public.invoices_code_key;
"""))
    assert _errors(folder, "require-concurrent-index-drop") == []


@pytest.mark.parametrize(("history", "pending", "line"), [
    # an explicitly named UNIQUE constraint from an older file: its index goes with it too
    (HISTORY + "alter table public.invoices add constraint invoices_code_once unique (code);\n",
     "alter table public.invoices drop constraint invoices_code_once;\ndrop index public.invoices_code_once;\n", None),
    # the constraint dropped is not known to own an index: the index may still exist
    (HISTORY + "alter table public.invoices add constraint invoices_code_short check (length(code) < 9);\n"
     "create index invoices_code_short on public.invoices (code);\n",
     "alter table public.invoices drop constraint invoices_code_short;\ndrop index public.invoices_code_short;\n", 2),
    # nothing dropped the constraint first: the DROP INDEX takes the lock
    (HISTORY, "drop index if exists public.invoices_code_key;\n", 1),
])
def test_drop_index_after_dropping_a_constraint_counterparts(migrations: Callable[..., Path], history: str,
                                                             pending: str, line: int | None) -> None:
    folder = migrations((f"{V1}_invoices.sql", history), (f"{V2}_drop.sql", pending))
    assert [n for n, _ in _errors(folder, "require-concurrent-index-drop")] == ([line] if line else [])


def test_policy_on_a_table_the_history_never_creates_is_not_an_error(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_ledger_policy.sql", """\
create policy "owners read their ledger rows" on public.ledger_entries
  for select to authenticated using ((select auth.uid()) = owner_id);
"""))
    assert _errors(folder, "policy-without-rls") == []


@pytest.mark.parametrize(("history", "found"), [
    # not created by any migration: RLS could not be checked; a warning, once per table and file
    (HISTORY, [(1, "warning")]),
    # ... unless a migration enables RLS on it
    (HISTORY + "alter table public.ledger_entries enable row level security;\n", []),
    # created by a migration and RLS never enabled: the policy does nothing
    (HISTORY + "create table public.ledger_entries (id bigint primary key, owner_id uuid);\n",
     [(1, "error"), (3, "error")]),
    # created under another name and renamed: still known, still an error
    (HISTORY + "create table public.ledger (id bigint primary key, owner_id uuid);\n"
     "alter table public.ledger rename to ledger_entries;\n", [(1, "error"), (3, "error")]),
])
def test_policy_without_rls_counterparts(migrations: Callable[..., Path], history: str,
                                         found: list[tuple[int, str]]) -> None:
    folder = migrations((f"{V1}_ledger.sql", history), (f"{V2}_ledger_policy.sql", """\
create policy "owners read their ledger rows" on public.ledger_entries
  for select to authenticated using ((select auth.uid()) = owner_id);
create policy "owners add ledger rows" on public.ledger_entries
  for insert to authenticated with check ((select auth.uid()) = owner_id);
"""))
    assert [(f.line, f.severity.value) for f in lint_paths([folder]).findings
            if f.rule == "policy-without-rls" and f.path.endswith("_ledger_policy.sql")] == found


def test_policy_on_a_table_renamed_in_an_earlier_file_is_still_known(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_ledger.sql", "create table public.ledger (id bigint primary key, owner_id uuid);\n"),
                        (f"{V2}_rename.sql", "alter table public.ledger rename to ledger_entries;\n"),
                        (f"{V3}_policy.sql", "create policy p on public.ledger_entries using (true);\n"))
    assert [(Path(f.path).name, f.severity.value) for f in lint_paths([folder]).findings
            if f.rule == "policy-without-rls"] == [(f"{V3}_policy.sql", "error")]


def test_timestamp_to_timestamptz_is_not_a_rewrite_in_utc(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_issued_at_tz.sql", """\
alter table public.invoices
  alter column issued_at type timestamp with time zone using issued_at::timestamp with time zone;
"""))
    assert _errors(folder, "changing-column-type") == []


@pytest.mark.parametrize(("pending", "found"), [
    # it depends on the session's TimeZone, which the file does not set: a warning that says so
    ("alter table public.invoices alter column issued_at type timestamptz;\n", [(1, "warning")]),
    ("set timezone = 'UTC';\nalter table public.invoices alter column issued_at type timestamptz;\n", []),
    ("set timezone = 'Europe/Paris';\nalter table public.invoices alter column issued_at type timestamptz;\n",
     [(2, "warning")]),
    # another old type is rewritten whatever the time zone
    ("alter table public.invoices alter column code type timestamptz using now();\n", [(1, "error")]),
    ("alter table public.invoices alter column due type timestamptz;\n", [(1, "error")]),  # a date
])
def test_timestamp_to_timestamptz_counterparts(migrations: Callable[..., Path], pending: str,
                                               found: list[tuple[int, str]]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY + "alter table public.invoices add column due date;\n"),
                        (f"{V2}_tz.sql", pending))
    assert [(f.line, f.severity.value) for f in lint_paths([folder]).findings
            if f.rule == "changing-column-type"] == found


def test_a_file_of_concurrent_index_builds_is_not_an_error(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_invoice_indexes.sql", """\
create index concurrently if not exists invoices_issued_at_idx on public.invoices (issued_at);

comment on index public.invoices_issued_at_idx is 'listing by date';

create index concurrently if not exists invoices_unpaid_idx on public.invoices (id) where not paid;
"""))
    assert _errors(folder, "concurrently-with-other-statements") == []


def test_concurrent_index_builds_that_really_fail_or_leave_work_behind(migrations: Callable[..., Path]) -> None:
    """The counterparts, measured with db push (CLI 3.1 and 2.122, PostgreSQL 15 and 18): inside
    BEGIN ... COMMIT PostgreSQL refuses CONCURRENTLY (the push fails: error); beside a CREATE TABLE the
    file is applied and recorded, but a later failure would leave the table behind, unrecorded, and
    the next push would fail on it (warning)."""
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_in_block.sql", """\
begin;
create index concurrently if not exists invoices_issued_at_idx on public.invoices (issued_at);
commit;
"""))
    assert [line for line, _ in _errors(folder, "concurrently-with-other-statements")] == [2]
    (folder / f"{V2}_in_block.sql").write_text(
        "create table public.notes (id bigint primary key);\n"
        "create index concurrently if not exists invoices_issued_at_idx on public.invoices (issued_at);\n")
    found = [(f.line, f.severity.value) for f in lint_paths([folder]).findings
             if f.rule == "concurrently-with-other-statements"]
    assert found == [(2, "warning")]


@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "two-blocks"])
def test_commit_after_adding_an_enum_value_is_not_an_error(migrations: Callable[..., Path], wrap: bool) -> None:
    begin = "begin;\n" if wrap else ""
    folder = migrations((f"{V1}_status.sql", """\
create type public.invoice_status as enum ('open', 'paid');
create table public.bills (id bigint primary key, status public.invoice_status not null default 'open');
alter table public.bills enable row level security;
"""), (f"{V2}_void_status.sql", f"""\
{begin}alter type public.invoice_status add value if not exists 'void';

commit;

{begin}create function public.void_bill(p_id bigint) returns void language sql set search_path = '' as $$
  update public.bills set status = 'void' where id = p_id
$$;
{"commit;" if wrap else ""}
"""))
    assert _errors(folder, "statements-after-commit") == []


@pytest.mark.parametrize(("sql", "line"), [
    # the rest of the file is silently skipped and the version not recorded (supabase/cli#5047)
    ("create table public.a (id int);\ncommit;\nbegin;\ncreate table public.b (id int);\n", 2),
    # the block's statements are thrown away
    ("begin;\ncreate table public.a (id int);\nrollback;\ncreate table public.b (id int);\n", 3),
])
def test_commit_and_rollback_that_lose_work_are_still_reported(migrations: Callable[..., Path], sql: str,
                                                                line: int) -> None:
    """The counterparts, measured with db push (CLI 3.1 and 2.122): exit 0 and `b` missing, version
    unrecorded; `a` missing, `b` applied. A bare ROLLBACK outside any block discards nothing."""
    folder = migrations((f"{V1}_invoices.sql", HISTORY), (f"{V2}_split.sql", sql))
    assert [n for n, _ in _errors(folder, "statements-after-commit")] == [line]


CUSTOMERS = HISTORY + """create table public.customers (id bigint generated always as identity primary key);
alter table public.customers enable row level security;
"""


def test_references_on_a_new_column_without_default_is_not_validated(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_invoices.sql", CUSTOMERS), (f"{V2}_invoice_customer.sql", """\
alter table public.invoices
  add column customer_id bigint references public.customers (id) on delete set null;
"""))
    assert _errors(folder, "constraint-missing-not-valid") == []


@pytest.mark.parametrize("column", ["customer_id bigint default null references public.customers (id)",
                                    "customer_id bigint default 1 references public.customers (id)"])
def test_references_on_a_new_column_with_a_default_is_still_reported(migrations: Callable[..., Path],
                                                                      column: str) -> None:
    """The counterpart, which must keep working: any DEFAULT (even NULL) makes PostgreSQL validate every row."""
    folder = migrations((f"{V1}_invoices.sql", CUSTOMERS), (f"{V2}_invoice_customer.sql",
                                                            f"alter table public.invoices add column {column};\n"))
    assert [line for line, _ in _errors(folder, "constraint-missing-not-valid")] == [1]
