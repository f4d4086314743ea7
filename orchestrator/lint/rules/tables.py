"""Facts about tables, columns and functions that later statements and files read through `Unless`
conditions: what was created, altered, renamed or moved, and how volatile a function is."""

from __future__ import annotations

from typing import Any

from orchestrator.lint.nodes import def_elems, qualified, strings, walk
from orchestrator.lint.rules import FileCtx, cmds, facts
from orchestrator.lint.rules.locks import canonical_type
from orchestrator.lint.sqlfile import Stmt


@facts("CreateStmt", "CreateTableAsStmt")
def created_table(stmt: Stmt, ctx: FileCtx) -> None:
    rel = stmt.body.get("relation") or stmt.body.get("into", {}).get("rel")
    table = qualified(rel)
    ctx.record(f"table:{table}")
    for elt in stmt.body.get("tableElts", ()):
        if "ColumnDef" in elt:
            _record_column(ctx, table, elt["ColumnDef"])


@facts("AlterTableStmt")
def altered_table(stmt: Stmt, ctx: FileCtx) -> None:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        sub, node = cmd.get("subtype"), cmd.get("def", {})
        if sub == "AT_AddColumn" and "ColumnDef" in node:
            _record_column(ctx, table, node["ColumnDef"])
        elif sub == "AT_AlterColumnType":
            ctx.record(f"coltype:{table}.{cmd.get('name')}", canonical_type(node.get("ColumnDef", {}).get("typeName")))
        elif sub == "AT_AddConstraint" and node.get("Constraint", {}).get("contype") == "CONSTR_CHECK":
            con = node["Constraint"]
            state = f"not_valid:{con.get('conname', '')}" if con.get("skip_validation") else "valid"
            for kind, test in walk(node["Constraint"].get("raw_expr")):
                if kind == "NullTest" and test.get("nulltesttype") == "IS_NOT_NULL":
                    cols = strings(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
                    ctx.record(f"notnull-check:{table}.{cols[-1] if cols else ''}", state)
        elif sub == "AT_ValidateConstraint":
            ctx.record(f"validated:{table}.{cmd.get('name', '')}")


@facts("RenameStmt")
def renamed(stmt: Stmt, ctx: FileCtx) -> None:
    """A renamed table is as new as it was under its old name (checked within this file), and keeps
    its RLS state under the new name (followed across files)."""
    old = qualified(stmt.body.get("relation"))
    if stmt.body.get("renameType") != "OBJECT_TABLE":
        return
    schema = stmt.body.get("relation", {}).get("schemaname", "public")
    new = f"{schema}.{stmt.body.get('newname')}"
    if f"table:{old}" in ctx.facts:
        ctx.record(f"table:{new}")
    _carry_rls(ctx, old, new)


@facts("AlterObjectSchemaStmt")
def moved(stmt: Stmt, ctx: FileCtx) -> None:
    if stmt.body.get("objectType") != "OBJECT_TABLE":
        return
    old = qualified(stmt.body.get("relation"))
    new = f"{stmt.body.get('newschema')}.{old.split('.', 1)[1]}"
    if f"table:{old}" in ctx.facts:
        ctx.record(f"table:{new}")
    _carry_rls(ctx, old, new)


def _carry_rls(ctx: FileCtx, old: str, new: str) -> None:
    ctx.record(f"renamed:{new}", old)
    if f"rls:{old}" in ctx.facts:
        ctx.record(f"rls:{new}", ctx.facts[f"rls:{old}"])


def _record_column(ctx: FileCtx, table: str, col: dict[str, Any]) -> None:
    ctx.record(f"column:{table}.{col.get('colname')}")
    ctx.record(f"coltype:{table}.{col.get('colname')}", canonical_type(col.get("typeName")))


@facts("CreateFunctionStmt")
def function_volatility(stmt: Stmt, ctx: FileCtx) -> None:
    """v, s or i: what a column default calling this function costs (VOLATILE unless declared)."""
    opts = def_elems(stmt.body.get("options"))
    level = opts.get("volatility", {}).get("arg", {}).get("String", {}).get("sval", "volatile")
    name = strings(stmt.body.get("funcname"))
    if name:
        ctx.record(f"volatility:{name[-1].lower()}", level[:1])
