"""Reading statements off libpg_query's JSON text gives what decoding all of it gives."""

from __future__ import annotations

import json

import pytest
from pglast import parser as pg

from orchestrator.lint.pgjson import RawStmt, _decoded, decode, plpgsql_functions, statements

TRICKY = [
    "",
    "-- only a comment\n",
    "select 1",  # one statement at offset 0 without a semicolon: no location, no length
    "select 1; select 2",  # the last one has no length
    "create role r with login;",  # CreateRoleStmt has a `stmt_type` field
    "comment on table t is '{\"stmt\":{\"X\":{}}},\"stmt_location\":1}';\ngrant select on t to anon;",
    "create table t (a jsonb default '{\"stmt_len\":3}'::jsonb);  select '}}]}';",
    "do $$ begin raise notice '{\"stmt\":{\"A\":'; end $$;\n\n  alter table t add column b int;",
]


def _expected(tree: str) -> list[tuple[str, dict[str, object], int, int]]:
    out = []
    for raw in json.loads(tree)["stmts"]:
        ((kind, body),) = raw["stmt"].items()
        out.append((kind, body, raw.get("stmt_location", 0), raw.get("stmt_len", 0)))
    return out


def _read(raws: list[RawStmt]) -> list[tuple[str, dict[str, object], int, int]]:
    return [(r.kind, decode(r.tree, r.at), r.location, r.length) for r in raws]


@pytest.mark.parametrize("sql", TRICKY)
def test_statements_match_a_full_decode(sql: str) -> None:
    tree = pg.parse_sql_json(sql)
    assert _read(statements(tree)) == _expected(tree)


def test_an_unexpected_shape_falls_back_to_a_full_decode() -> None:
    tree = pg.parse_sql_json("select 1; select 2;")
    mangled = tree.replace('"stmt_len"', '"stmt_len" ')  # still JSON, no longer the shape we read
    assert _read(statements(mangled)) == _read(_decoded(mangled)) == _expected(tree)


def test_plpgsql_functions_are_split_in_input_order() -> None:
    sql = ("create function a() returns void language plpgsql as $$ begin update t set x = 1; end $$;\n"
           "create function b() returns void language sql as $$ select 1 $$;\n"
           "create function c() returns void language plpgsql as $$ begin delete from t; end $$;")
    parts = plpgsql_functions(pg.parse_plpgsql_json(sql))
    assert len(parts) == 3
    assert "update t set x = 1" in parts[0] and "delete from t" in parts[2]
