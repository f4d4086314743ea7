"""Type hygiene: column types that are hard to change later. Warnings.

See https://wiki.postgresql.org/wiki/Don't_Do_This for the reasoning behind each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestrator.lint.nodes import strings, type_name
from orchestrator.lint.rules import FileCtx, Hit, cmds, on, rule
from orchestrator.lint.sqlfile import Stmt

TIMESTAMPTZ = rule(
    "prefer-timestamptz", "warning", "types", "timestamp without time zone",
    why="timestamp drops the UTC offset: values written from different time zones are silently ambiguous.",
    fix="Use timestamptz.", bad="create table t (created_at timestamp);",
    good="create table t (created_at timestamptz);")
TEXT_FIELD = rule(
    "prefer-text-field", "warning", "types", "varchar(n)",
    why="Changing the length later may rewrite the table under an ACCESS EXCLUSIVE lock; text is as fast.",
    fix="Use text, with a CHECK (char_length(col) <= n) if a limit matters.",
    bad="create table t (name varchar(100));",
    good="create table t (name text check (char_length(name) <= 100));")
CHAR_FIELD = rule(
    "ban-char-field", "warning", "types", "char(n)",
    why="char(n) pads with spaces and compares surprisingly; it is almost never what you want.",
    fix="Use text.", bad="create table t (code char(3));", good="create table t (code text);")
JSONB = rule(
    "prefer-jsonb", "warning", "types", "json instead of jsonb",
    why="json keeps the raw text: no indexing, no equality, slower to query.",
    fix="Use jsonb.", bad="create table t (payload json);", good="create table t (payload jsonb);")
BIGINT_KEY = rule(
    "prefer-bigint-key", "warning", "types", "int or serial primary key",
    why="A 32-bit key runs out at 2.1 billion rows, and widening it later rewrites the table and "
        "every referencing table.",
    fix="Use bigint generated always as identity (or uuid).",
    bad="create table t (id serial primary key);",
    good="create table t (id bigint generated always as identity primary key);")

_SMALL_KEYS = frozenset({"int4", "int2", "int", "integer", "smallint", "serial", "serial4", "serial2",
                         "smallserial"})


def _columns(stmt: Stmt) -> Iterator[tuple[dict[str, Any], set[str]]]:
    """Column definitions with the names of table-level primary key columns."""
    if stmt.kind == "CreateStmt":
        elts = stmt.body.get("tableElts", ())
        pk = {n for e in elts if e.get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
              for n in strings(e["Constraint"].get("keys"))}
        for elt in elts:
            if "ColumnDef" in elt:
                yield elt["ColumnDef"], pk
        return
    for cmd in cmds(stmt):
        if cmd.get("subtype") in ("AT_AddColumn", "AT_AlterColumnType") and "ColumnDef" in cmd.get("def", {}):
            yield cmd["def"]["ColumnDef"], set()


@on("CreateStmt", "AlterTableStmt")
def column_types(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    for col, pk in _columns(stmt):
        tn = col.get("typeName")
        name, mods = type_name(tn)
        where = stmt.offset(tn or {})
        colname = col.get("colname", "")
        if name == "timestamp":
            yield Hit(TIMESTAMPTZ, where, f"{colname} is timestamp without time zone",
                      f"{colname} timestamptz")
        elif name == "varchar" and mods:
            yield Hit(TEXT_FIELD, where, f"{colname} is varchar({mods[0]})",
                      f"{colname} text check (char_length({colname}) <= {mods[0]})")
        elif name == "bpchar":
            yield Hit(CHAR_FIELD, where, f"{colname} is char({mods[0] if mods else 1})", f"{colname} text")
        elif name == "json":
            yield Hit(JSONB, where, f"{colname} is json", f"{colname} jsonb")
        is_pk = colname in pk or any(c.get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
                                     for c in col.get("constraints", ()))
        if is_pk and name in _SMALL_KEYS:
            yield Hit(BIGINT_KEY, where, f"primary key {colname} is {name}",
                      f"{colname} bigint generated always as identity primary key")
