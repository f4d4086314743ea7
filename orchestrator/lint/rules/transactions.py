"""Transactions: how the supabase CLI runs a migration file, and how a file can defeat it.

The CLI sends a file's statements as one batch; a file with CONCURRENTLY runs outside a
transaction, so if it fails half way, the changes made so far stay and the migration is not
recorded. Explicit BEGIN/COMMIT inside a file breaks the CLI's own transaction: after
`COMMIT; BEGIN;` the rest of the file is silently skipped (https://github.com/supabase/cli/issues/5047).
"""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator.lint.rules import FileCtx, Hit, after_file, on, rule
from orchestrator.lint.sqlfile import Stmt

CONCURRENT_MIXED = rule(
    "concurrently-with-other-statements", "error", "transactions",
    "CONCURRENTLY in a file with other statements",
    why="CONCURRENTLY cannot run in a transaction, so the whole file runs without one: if a later "
        "statement fails, the earlier ones stay applied but the migration is not recorded, and the "
        "next push re-runs them.",
    fix="Put each CREATE/DROP INDEX CONCURRENTLY in a migration file of its own (SET statements may stay).",
    bad="alter table orders add column note text;\ncreate index concurrently orders_note_idx on orders (note);",
    good="-- 20240101000000_add_note.sql\nalter table orders add column note text;\n"
         "-- 20240101000001_index_note.sql\ncreate index concurrently orders_note_idx on orders (note);")
EXPLICIT_TX = rule(
    "explicit-transaction", "warning", "transactions", "BEGIN / COMMIT wrapping a whole migration",
    why="The CLI already runs each file in a transaction; a BEGIN ... COMMIT around the whole file is "
        "redundant (the CLI applies and records it fine) but invites the split below.",
    fix="Remove BEGIN/COMMIT.",
    bad="begin;\nalter table orders add column note text;\ncommit;",
    good="alter table orders add column note text;")
SPLIT_TX = rule(
    "statements-after-commit", "error", "transactions", "statements after a COMMIT or ROLLBACK",
    why="A COMMIT ends the CLI's transaction early: what follows runs outside it, and after "
        "`COMMIT; BEGIN;` the rest of the file is silently skipped (supabase/cli#5047); a ROLLBACK "
        "throws away what came before it.",
    fix="Remove the COMMIT/BEGIN pairs; split the file if you need separate transactions.",
    bad="alter table a add column x int;\ncommit;\nbegin;\nalter table b add column y int;\ncommit;",
    good="alter table a add column x int;\nalter table b add column y int;")
UNCOMMITTED = rule(
    "uncommitted-transaction", "error", "transactions", "BEGIN without COMMIT",
    why="A transaction left open at the end of the file is rolled back or leaves the session "
        "in an aborted state; either way the migration's effect is not what it says.",
    fix="Remove the BEGIN (the CLI provides the transaction).",
    bad="begin;\nalter table orders add column note text;",
    good="alter table orders add column note text;")

_OPENS = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
_CLOSES = {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_COMMIT_PREPARED",
           "TRANS_STMT_ROLLBACK_PREPARED", "TRANS_STMT_PREPARE"}


def _is_concurrent(stmt: Stmt) -> bool:
    if stmt.kind in ("IndexStmt", "DropStmt"):
        return bool(stmt.body.get("concurrent"))
    if stmt.kind == "ReindexStmt":
        return any(p.get("DefElem", {}).get("defname") == "concurrently" for p in stmt.body.get("params", ()))
    return False


@on("TransactionStmt")
def explicit_transaction(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if stmt.nested:
        return  # COMMIT inside a procedure body is PL/pgSQL's business
    kind = stmt.body.get("kind")
    if kind in _OPENS:
        ctx.scratch["open_tx"] = stmt.start
    elif kind in _CLOSES:
        ctx.scratch.pop("open_tx", None)
    if kind in _OPENS | _CLOSES:
        word = ctx.sql.text(stmt).split()[0].upper() if ctx.sql.text(stmt) else kind
        yield Hit(EXPLICIT_TX, stmt.start, f"{word} inside a migration file", "-- (remove this line)")


@after_file
def statements_after_commit(ctx: FileCtx) -> Iterator[Hit]:
    tops = ctx.sql.top_level
    for i, stmt in enumerate(tops):
        if stmt.kind != "TransactionStmt" or stmt.body.get("kind") not in _CLOSES:
            continue
        later = [s for s in tops[i + 1:] if s.kind != "TransactionStmt"]
        if later:
            word = ctx.sql.text(stmt).split()[0].upper() if ctx.sql.text(stmt) else "COMMIT"
            yield Hit(SPLIT_TX, stmt.start, f"{word} here, then {len(later)} more statement(s): they run outside "
                      "the migration's transaction, or not at all", "-- (remove this line)")
            return


@after_file
def uncommitted(ctx: FileCtx) -> Iterator[Hit]:
    if "open_tx" in ctx.scratch:
        yield Hit(UNCOMMITTED, ctx.scratch["open_tx"], "transaction opened here is never committed")


@after_file
def concurrent_mixed(ctx: FileCtx) -> Iterator[Hit]:
    tops = [s for s in ctx.sql.top_level if s.kind != "VariableSetStmt"]
    if len(tops) < 2:
        return
    for stmt in tops:
        if _is_concurrent(stmt):
            yield Hit(CONCURRENT_MIXED, stmt.start, f"{len(tops) - 1} other statement(s) share this file; "
                      "it runs without a transaction", ctx.sql.text(stmt) + ";  -- alone in a new file")
