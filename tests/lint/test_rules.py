"""Every rule: two files it must flag (at the exact line) and two it must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.lint import lint_paths, rules

# rule id -> ([(sql, line flagged), (sql, line flagged)], [clean sql, clean sql])
CASES: dict[str, tuple[list[tuple[str, int]], list[str]]] = {
    "require-concurrent-index": (
        [("set lock_timeout = '1s';\ncreate index i on orders (user_id);", 2),
         ("\n\ncreate unique index if not exists i on public.orders using btree (lower(email));", 3)],
        ["create index concurrently i on orders (user_id);",
         "create table t (id bigint);\ncreate index i on t (id);"]),
    "require-concurrent-index-drop": (
        [("drop index orders_user_idx;", 1), ("select 1;\ndrop index if exists a.b;", 2)],
        ["drop index concurrently orders_user_idx;", "drop table if exists t_tmp_never_used cascade;"]),
    "adding-required-column": (
        [("alter table orders add column status text not null;", 1),
         ("alter table orders\n  add column a text,\n  add column b int not null;", 3)],
        ["alter table orders add column status text not null default 'new';",
         "alter table orders add column id2 bigint generated always as identity not null;"]),
    "volatile-default": (
        [("alter table orders add column token uuid default gen_random_uuid();", 1),
         ("alter table orders\n  add column r float8 default random();", 2)],
        ["alter table orders add column created timestamptz default now();",
         "alter table orders add column status text default 'new';"]),
    "set-not-null": (
        [("alter table orders alter column status set not null;", 1),
         ("-- first\nalter table public.orders\n  alter column a set not null;", 2)],
        ["alter table orders add constraint c check (a is not null);\nalter table orders alter column a set not null;",
         ("alter table orders add constraint c check (a is not null) not valid;\n"
          "alter table orders validate constraint c;\nalter table orders alter column a set not null;")]),
    "constraint-missing-not-valid": (
        [("alter table orders add constraint c check (total >= 0);", 1),
         ("alter table orders\n  add constraint fk foreign key (user_id) references users (id);", 2)],
        ["alter table orders add constraint c check (total >= 0) not valid;",
         "create table t (a int);\nalter table t add constraint c check (a > 0);"]),
    "validate-in-same-file": (
        [("alter table o add constraint c check (a > 0) not valid;\nalter table o validate constraint c;", 2),
         (("alter table o add constraint fk foreign key (u) references u (id) not valid;\n\n"
          "alter table o validate constraint fk;"), 3)],
        ["alter table o validate constraint c;",
         "alter table o add constraint c check (a > 0) not valid;\nalter table o validate constraint d;"]),
    "unique-on-existing-table": (
        [("alter table users add constraint users_email_key unique (email);", 1),
         ("select 1;\nalter table users add primary key (id);", 2)],
        ["alter table users add constraint k unique using index k;",
         "create table t (a int);\nalter table t add constraint k unique (a);"]),
    "changing-column-type": (
        [("alter table orders alter column total type numeric(12,2);", 1),
         ("create table t (a varchar(20));\n-- later\nalter table t2 alter column a type int;", 3)],
        ["alter table orders alter column note type text;",
         "create table t (a int);\nalter table t alter column a type bigint;"]),
    "require-lock-timeout": (
        [("alter table orders add column note text;", 1),
         ("select 1;\n\ncreate index concurrently i on o (a);\ntruncate t;", 4)],
        ["set lock_timeout = '5s';\nalter table orders add column note text;",
         "select set_config('lock_timeout', '3s', false);\ndrop table t;"]),
    "ban-drop-table": (
        [("drop table orders;", 1), ("set lock_timeout = '1s';\ndrop table if exists public.orders cascade;", 2)],
        ["create table t (a int);\ndrop table t;", "drop view v;"]),
    "ban-drop-column": (
        [("alter table orders drop column note;", 1), ("\nalter table orders drop column if exists note;", 2)],
        ["alter table orders add column x int;\nalter table orders drop column x;", "alter table o drop constraint c;"]),
    "ban-drop-schema": (
        [("drop schema reporting cascade;", 1), ("select 1;\ndrop schema if exists s;", 2)],
        ["create schema s;", "drop function f();"]),
    "ban-drop-database": (
        [("drop database analytics;", 1), ("\n\ndrop database if exists x;", 3)],
        ["create schema s;", "drop view v;"]),
    "ban-truncate": (
        [("truncate audit_log;", 1), ("select 1;\ntruncate table a, b;", 2)],
        ["delete from audit_log where id < 10;", "select 'truncate t';"]),
    "ban-truncate-cascade": (
        [("truncate users cascade;", 1), ("\ntruncate table a, b cascade;", 2)],
        ["truncate users;", "truncate users restrict;"]),
    "renaming-table": (
        [("alter table orders rename to purchases;", 1), ("select 1;\nalter table if exists a.b rename to c;", 2)],
        ["create table t (a int);\nalter table t rename to u;", "alter table t rename constraint a to b;"]),
    "renaming-column": (
        [("alter table orders rename column total to amount;", 1), ("\nalter table o rename a to b;", 2)],
        ["create table t (a int);\nalter table t rename column a to b;", "alter index i rename to j;"]),
    "ban-drop-not-null": (
        [("alter table orders alter column status drop not null;", 1),
         ("select 1;\nalter table o alter a drop not null;", 2)],
        ["alter table orders alter column status set default 'x';",
         "create table t (a int not null);\nalter table t alter column a drop not null;"]),
    "concurrently-with-other-statements": (
        [("alter table o add column n text;\ncreate index concurrently i on o (n);", 2),
         ("create index concurrently i on o (n);\ndrop index concurrently j;", 1)],
        ["set lock_timeout = '1s';\ncreate index concurrently i on o (n);",
         "create index concurrently i on o (n);"]),
    "explicit-transaction": (
        [("begin;\nalter table o add column n text;\ncommit;", 1),
         ("alter table o add column n text;\ncommit;\nbegin;\nselect 1;", 2)],
        ["alter table o add column n text;",
         "create procedure p() language plpgsql as $$ begin commit; end $$;"]),
    "statements-after-commit": (
        [("alter table o add column n text;\ncommit;\nbegin;\nalter table p add column m text;", 2),
         ("begin;\nselect 1;\n\nrollback;\nalter table o add column n text;", 4)],
        # measured with db push: a split into balanced blocks, and a ROLLBACK outside any block, lose nothing
        ["alter table o add column n text;\ncommit;\nbegin;\nalter table p add column m text;\ncommit;",
         "select 1;\n\nrollback;\nalter table o add column n text;"]),
    "plpgsql-not-checked": (
        [(("create function f() returns void language plpgsql as $$\ndeclare\n  v app.role\n    := 'x';\n"
          "begin\n  update app.t set r = v where true;\nend $$;"), 1),
         ("select 1;\ndo $$ declare v app.role\n := 'x'; begin update t set x = 1 where true; end $$;", 2)],
        [("create function f() returns void language plpgsql as $$\ndeclare\n  v app.role := 'x';\n"
         "  k public.key_mode[];\nbegin\n  update app.t set r = v where true;\nend $$;"),
         ("-- orchestrator-lint: ignore plpgsql-not-checked -- reviewed\ncreate function f() returns void "
         "language plpgsql as $$\ndeclare\n  v app.role\n    := 'x';\nbegin\n  return;\nend $$;")]),
    "drop-exposed-view-or-function": (
        [("drop view public.daily_totals;", 1), ("select 1;\ndrop function if exists search_orders(text);", 2)],
        ["drop function private.helper();",
         ("drop function public.search(text);\ncreate function public.search(q text, n int) returns int "
          "language sql as $$ select 1 $$;")]),
    "identifier-too-long": (
        [("create table t_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (id bigint);", 1),
         ("select 1;\nalter table t add constraint c_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx check (id > 0) not valid;", 2)],
         ["create table orders_archive (id bigint);", "create index iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii on t (id);"]),
    "backfill-in-migration": (
        [("alter table orders add column plan text;\nupdate orders set plan = 'free';", 2),
         ("alter table public.t add column a int, add column b int;\nselect 1;\nupdate t set a = 1, b = 2;", 3)],
        ["alter table orders add column plan text;\nupdate orders set plan = 'free' where plan is null;",
         "update orders set plan = 'free';"]),
    "uncommitted-transaction": (
        [("begin;\nalter table o add column n text;", 1), ("select 1;\nstart transaction;\nselect 2;", 2)],
        ["begin;\nselect 1;\ncommit;", "select 1;"]),
    "rls-not-enabled": (
        [("create table profiles (id uuid primary key);", 1),
         (("create schema app;\ncreate table public.notes (id bigint);\nalter table app.notes enable row level "
          "security;"), 2)],
        ["create table profiles (id uuid);\nalter table profiles enable row level security;",
         "create table private.t (id bigint);"]),
    "policy-without-rls": (
        [("create policy p on notes for select using (true);", 1),
         ("alter table notes disable row level security;\ncreate policy p on notes using (true);", 2)],
        ["alter table notes enable row level security;\ncreate policy p on notes using (true);",
         "create policy p on notes using (true);\nalter table notes enable row level security;"]),
    "security-definer-search-path": (
        [("create function f() returns int language sql security definer as $$ select 1 $$;", 1),
         (("select 1;\ncreate or replace function a.f()\nreturns void language plpgsql security definer\n"
          "as $$ begin perform 1; end $$;"), 2)],
        [("create function f() returns int language sql security definer set search_path = '' "
         "as $$ select 1 $$;"), "create function f() returns int language sql as $$ select 1 $$;"]),
    "update-delete-without-where": (
        [("update profiles set plan = 'free';", 1),
         ("do $$\nbegin\n  delete from t;\nend $$;", 3)],
        ["update profiles set plan = 'free' where plan is null;", "delete from t where true;",
         # a function body runs when called, not during the migration
         "create function f() returns trigger language plpgsql as $$\nbegin\n  delete from t;\n  return new;\nend $$;"]),
    "prefer-timestamptz": (
        [("create table t (a timestamp);", 1), ("alter table t\n  add column b timestamp without time zone;", 2)],
        ["create table t (a timestamptz);", "alter table t add column b timestamp with time zone;"]),
    "prefer-text-field": (
        [("create table t (a varchar(10));", 1), ("\nalter table t add column b character varying(5);", 2)],
        ["create table t (a text);", "create table t (a varchar);"]),
    "ban-char-field": (
        [("create table t (a char(3));", 1), ("\nalter table t add column b character(2);", 2)],
        ["create table t (a text);", "create table t (a varchar);"]),
    "prefer-jsonb": (
        [("create table t (a json);", 1), ("select 1;\nalter table t add column b json;", 2)],
        ["create table t (a jsonb);", "select '{}'::json;"]),
    "prefer-bigint-key": (
        [("create table t (id serial primary key);", 1), ("create table t (\n  id int,\n  primary key (id)\n);", 2)],
        ["create table t (id bigint generated always as identity primary key);",
         "create table t (id uuid primary key, n int);"]),
    "syntax-error": (
        [("create tabel t (a int);", 1), ("select 1;\n\nselect from where;", 3)],
        ["\ufeffselect 1;",  # a byte-order mark: the CLI sends it, Postgres skips it
         ("create function f(p app.role) returns setof app.t language plpgsql as $$\ndeclare r app.t%rowtype;\n"
         "  k public.key_mode[];\nbegin\n  for r in select * from app.t loop return next r; end loop;\nend $$;")]),
    "unknown-ignore-rule": (
        [("-- orchestrator-lint: ignore no-such-rule -- because\nselect 1;", 1),
         ("select 1;\ndrop table t; -- orchestrator-lint: ignore ban-drop-table, bogus", 2)],
        ["-- orchestrator-lint: ignore ban-drop-table -- archived\ndrop table t;", "select 1;"]),
}
SET_RULES = {"migration-filename", "migration-version-format", "future-timestamp", "duplicate-version",
             "out-of-order-migration", "edited-applied-migration"}  # tested in test_files_history.py
DEFAULT_CONFIG_HIDDEN: set[str] = set()


def _lint(tmp_path: Path, sql: str) -> list[tuple[str, int]]:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    (folder / "20240101000000_change.sql").write_text(sql, encoding="utf-8")
    return [(f.rule, f.line) for f in lint_paths([folder]).findings]


def test_every_rule_has_cases() -> None:
    assert set(rules()) == set(CASES) | SET_RULES


@pytest.mark.parametrize(("rule", "index"), [(r, i) for r in CASES for i in (0, 1)])
def test_rule_flags_bad_sql_at_the_line(tmp_path: Path, rule: str, index: int) -> None:
    sql, line = CASES[rule][0][index]
    found = _lint(tmp_path, sql)
    assert (rule, line) in found, found


@pytest.mark.parametrize(("rule", "index"), [(r, i) for r in CASES for i in (0, 1)])
def test_rule_leaves_good_sql_alone(tmp_path: Path, rule: str, index: int) -> None:
    found = _lint(tmp_path, CASES[rule][1][index])
    assert rule not in {r for r, _ in found}, found


def test_every_rule_documents_bad_and_good() -> None:
    for info in rules().values():
        assert info.why and info.fix and info.bad and info.good, info.id


@pytest.mark.parametrize(("sql", "line"), [
    (('create policy "Members of the organisation can read every invoice of their own team" on t\n'
     "  for select using (true);"), 1),
    ('select 1;\ncreate table "a ""quoted"" name that goes on and on until it is longer than Postgres keeps" (id int);', 2),
    ("create table t (\n  " + "é" * 32 + " int);", 1),  # 32 characters, 64 bytes
    ("create table a$b$c (id int);\ncreate table t (c_" + "x" * 62 + " int, d text default 'a$b$c');", 2),
    ("create table t (" + "é" * 31 + " int);", None),  # 62 bytes
    ("create table t (n text default '" + "x" * 70 + "');", None),
    ("create function f() returns text language sql as $b$ select '" + "y" * 70 + "' $b$;", None),
    ('create policy "short" on t -- and a comment ' + "z" * 70 + "\n  for select using (true);", None),
    (('create policy "a" on t for select using (auth.uid() = owner_id and exists (select 1 from members m '
     'where m.team = t.team)); comment on policy "b" on t is \'x\';'), None),
])
def test_identifier_length_is_counted_in_bytes_outside_literals(tmp_path: Path, sql: str, line: int | None) -> None:
    found = [n for r, n in _lint(tmp_path, sql) if r == "identifier-too-long"]
    assert found == ([] if line is None else [line])
