"""Destructive or breaking changes: data loss, and renames that break deployed clients.

Clients (supabase-js, edge functions, PostgREST's schema cache) keep using the old names until
they are redeployed: expand first, migrate readers and writers, contract in a later release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from orchestrator.lint.nodes import dotted, qualified, strings
from orchestrator.lint.rules import FileCtx, Hit, Unless, cmds, facts, new_column, new_table, on, rule
from orchestrator.lint.sqlfile import Stmt

_EXPAND = "Ship the new shape first, move every client to it, and remove the old one in a later release."

DROP_TABLE = rule(
    "ban-drop-table", "error", "destructive", "DROP TABLE",
    why="Deletes the table and its data; deployed clients still querying it start failing.",
    fix="Stop using the table in every client first, back it up, then drop it in a later release "
        "(suppress this finding with a reason once that is done).",
    bad="drop table orders;",
    good="-- orchestrator-lint: ignore ban-drop-table -- unused since v42, backed up to archive.orders\n"
         "drop table orders;")
DROP_COLUMN = rule(
    "ban-drop-column", "error", "destructive", "ALTER TABLE ... DROP COLUMN",
    why="Deletes the column's data; deployed clients that select or insert it start failing.",
    fix=_EXPAND, bad="alter table orders drop column note;",
    good="-- release N: stop reading/writing orders.note in every client\n"
         "-- release N+1:\n-- orchestrator-lint: ignore ban-drop-column -- unused since release N\n"
         "alter table orders drop column note;")
DROP_SCHEMA = rule(
    "ban-drop-schema", "error", "destructive", "DROP SCHEMA",
    why="Deletes every object in the schema (with CASCADE, silently).",
    fix="Drop the objects you mean to remove one by one, in a release of their own.",
    bad="drop schema reporting cascade;", good="drop view reporting.daily_totals;")
DROP_DATABASE = rule(
    "ban-drop-database", "error", "destructive", "DROP DATABASE",
    why="A migration should never delete a database.",
    fix="Remove the statement; drop databases by hand if you really mean it.",
    bad="drop database analytics;", good="-- no DROP DATABASE in migrations")
TRUNCATE = rule(
    "ban-truncate", "error", "destructive", "TRUNCATE",
    why="Deletes every row, takes an ACCESS EXCLUSIVE lock, and is not undone by a later migration.",
    fix="Delete the rows you mean to delete with a WHERE clause, or suppress with a reason.",
    bad="truncate audit_log;", good="delete from audit_log where created_at < now() - interval '90 days';")
TRUNCATE_CASCADE = rule(
    "ban-truncate-cascade", "error", "destructive", "TRUNCATE ... CASCADE",
    why="CASCADE also empties every table with a foreign key to the truncated one, recursively.",
    fix="Truncate or delete from each table explicitly.",
    bad="truncate users cascade;", good="truncate sessions;  -- explicitly, without cascade")
RENAME_TABLE = rule(
    "renaming-table", "error", "destructive", "ALTER TABLE ... RENAME TO",
    why="Deployed clients keep using the old name and fail as soon as the migration runs.",
    fix="Create the new table (or a view with the new name), move clients, drop the old name later.",
    bad="alter table orders rename to purchases;",
    good="create view purchases as select * from orders;  -- move clients, then swap")
RENAME_COLUMN = rule(
    "renaming-column", "error", "destructive", "ALTER TABLE ... RENAME COLUMN",
    why="Deployed clients keep using the old column name and fail as soon as the migration runs.",
    fix="Add the new column, write both, backfill, move readers, then drop the old one.",
    bad="alter table orders rename column total to amount;",
    good="alter table orders add column amount numeric;  -- dual-write, backfill, then drop total")
DROP_NOT_NULL = rule(
    "ban-drop-not-null", "warning", "destructive", "ALTER COLUMN ... DROP NOT NULL",
    why="Clients and generated types assume the column is never NULL; NULLs now break them.",
    fix="Make sure every reader handles NULL (regenerate types) before relaxing the constraint.",
    bad="alter table orders alter column status drop not null;",
    good="-- orchestrator-lint: ignore ban-drop-not-null -- readers handle null since v12\n"
         "alter table orders alter column status drop not null;")
DROP_API = rule(
    "drop-exposed-view-or-function", "warning", "destructive", "DROP VIEW / DROP FUNCTION in an exposed schema",
    why="The Data API serves views as tables and functions as /rpc endpoints: deployed clients calling "
        "them fail as soon as the migration runs (unless the same migration creates them again).",
    fix="Move clients off the view or function first, then drop it in a later release; or recreate it "
        "in the same migration (CREATE OR REPLACE keeps the endpoint).",
    bad="drop function public.search_orders(text);",
    good="create or replace function public.search_orders(q text) returns setof orders language sql\n"
         "as $$ select * from orders where note ilike '%' || q || '%' $$;")
LONG_NAME = rule(
    "identifier-too-long", "warning", "destructive", "identifier longer than 63 bytes",
    why="Postgres silently cuts names to 63 bytes: the object gets another name than the one written, "
        "two long names can collide, and clients or generated types using the full name do not find it.",
    fix="Use a name of at most 63 bytes.",
    bad="create table orders_with_a_very_long_descriptive_name_that_goes_on_and_on_forever (id bigint);",
    good="create table orders_archive (id bigint);")
# The parser has already cut long names in its tree, so they are read from the text: identifiers,
# skipping string literals, dollar-quoted bodies and comments (a name may start with any letter).
_TOKENS = re.compile(r"""'(?:[^']|'')*'|(\$[A-Za-z_0-9]*\$).*?\1|--[^\n]*|/\*.*?\*/|"((?:[^"]|"")+)"|([^\W\d][\w$]*)""",
                     re.DOTALL)
# Bytes that can be part of an unquoted identifier become b"a", all others a space.
_WORD_BYTES = bytes(ord("a") if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_$") or b >= 0x80
                    else ord(" ") for b in range(256))


@on("CreateStmt", "IndexStmt", "AlterTableStmt", "CreateFunctionStmt", "CreatePolicyStmt", "CreateTrigStmt",
    "ViewStmt", "CreateSchemaStmt", "RenameStmt", "CreateTableAsStmt")
def long_names(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if stmt.nested or not _may_hold_long_name(ctx.sql.data[stmt.start:stmt.end]):
        return
    seen = set()
    for m in _TOKENS.finditer(ctx.sql.text(stmt)):
        name = m.group(2).replace('""', '"') if m.group(2) else m.group(3)
        if name and len(name.encode("utf-8")) > 63 and name not in seen:
            seen.add(name)
            cut = name.encode("utf-8")[:63].decode("utf-8", "ignore")
            yield Hit(LONG_NAME, stmt.start, f"{name[:40]}... is {len(name.encode('utf-8'))} bytes; Postgres "
                      f"cuts it to {cut!r}")


def _may_hold_long_name(raw: bytes) -> bool:
    """False when no name in `raw` can be over 63 bytes, found without tokenizing (which, run on every
    statement, was a fifth of the linter's time): an unquoted one needs 64 identifier bytes in a row,
    a quoted one 64 bytes between two consecutive double quotes (a doubled quote counted as one)."""
    if b"a" * 64 in raw.translate(_WORD_BYTES):
        return True
    return b'"' in raw and any(len(part) >= 64 for part in raw.replace(b'""', b"_").split(b'"')[1:-1])


@on("DropStmt")
def drops(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    kind = stmt.body.get("removeType")
    if kind in ("OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FUNCTION"):
        yield from _api_drops(stmt, ctx, kind)
    if kind == "OBJECT_TABLE" and stmt.nested and not stmt.runs_now:
        return  # inside a function body: the function's own (often temporary) tables, dropped when it runs
    if kind == "OBJECT_TABLE":
        for obj in stmt.body.get("objects", ()):
            table = dotted(strings(obj.get("List", {}).get("items")))
            yield Hit(DROP_TABLE, stmt.start, f"dropping table {table} deletes its data",
                      unless=(new_table(table),))
    elif kind == "OBJECT_SCHEMA":
        yield Hit(DROP_SCHEMA, stmt.start, "dropping a schema deletes everything in it")


def _api_drops(stmt: Stmt, ctx: FileCtx, kind: str) -> Iterator[Hit]:
    what = "function" if kind == "OBJECT_FUNCTION" else "view"
    for obj in stmt.body.get("objects", ()):
        parts = strings(obj["ObjectWithArgs"].get("objname")) if "ObjectWithArgs" in obj else \
            strings(obj.get("List", {}).get("items"))
        name = dotted(parts)
        if name.split(".")[0] in ctx.cfg.exposed_schemas:
            yield Hit(DROP_API, stmt.start, f"dropping {what} {name} removes it from the Data API",
                      unless=(Unless(f"{what}:{name}", "or_later"),))


@on("DropdbStmt")
def drop_database(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    yield Hit(DROP_DATABASE, stmt.start, f"dropping database {stmt.body.get('dbname')}")


@on("TruncateStmt")
def truncate(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    names = ", ".join(qualified(r.get("RangeVar")) for r in stmt.body.get("relations", ()))
    yield Hit(TRUNCATE, stmt.start, f"truncating {names} deletes every row")
    if stmt.body.get("behavior") == "DROP_CASCADE":
        yield Hit(TRUNCATE_CASCADE, stmt.start, "CASCADE also empties every table referencing these")


@on("AlterTableStmt")
def alter_drops(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        name = cmd.get("name", "")
        if cmd.get("subtype") == "AT_DropColumn":
            yield Hit(DROP_COLUMN, stmt.start, f"dropping column {table}.{name} deletes its data",
                      unless=(new_table(table), new_column(table, name)))
        elif cmd.get("subtype") == "AT_DropNotNull":
            yield Hit(DROP_NOT_NULL, stmt.start, f"{table}.{name} may now hold NULL",
                      unless=(new_table(table), new_column(table, name)))


@on("RenameStmt")
def renames(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    kind = stmt.body.get("renameType")
    table = qualified(stmt.body.get("relation"))
    new = stmt.body.get("newname")
    if kind == "OBJECT_TABLE":
        yield Hit(RENAME_TABLE, stmt.start, f"renaming {table} to {new} breaks clients using the old name",
                  unless=(new_table(table),))
    elif kind == "OBJECT_COLUMN":
        column = stmt.body.get("subname", "")
        yield Hit(RENAME_COLUMN, stmt.start, f"renaming {table}.{column} to {new} breaks clients using "
                  "the old name", unless=(new_table(table), new_column(table, column)))


@facts("ViewStmt", "CreateFunctionStmt")
def created_api_objects(stmt: Stmt, ctx: FileCtx) -> None:
    """Views and functions created (or replaced): a drop followed by these keeps the endpoint."""
    if stmt.kind == "ViewStmt":
        ctx.record(f"view:{qualified(stmt.body.get('view'))}")
    else:
        ctx.record(f"function:{dotted(strings(stmt.body.get('funcname')))}")
