"""Transactions: how the supabase CLI runs a migration file, and how a file can defeat it.

What supabase CLI 3.1 (and 2.122) do with a file, read from its source and measured with `db push`
on PostgreSQL 15 and 18: the statements are sent as batches, each one transaction, the last one
recording the version; a CONCURRENTLY / VACUUM / ALTER SYSTEM / CLUSTER statement runs alone between
two batches, so the file is applied and recorded, but a failure after it leaves what came before
applied and the version unrecorded. A file with BEGIN / COMMIT / ROLLBACK anywhere is run statement by
statement (each its own transaction outside BEGIN ... COMMIT): balanced blocks are applied and
recorded; a BEGIN left open loses the rest of the file, silently (exit 0, version not recorded:
https://github.com/supabase/cli/issues/5047).
"""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator.lint.model import Severity
from orchestrator.lint.rules import FileCtx, Hit, after_file, on, rule
from orchestrator.lint.sqlfile import Stmt

CONCURRENT_MIXED = rule(
    "concurrently-with-other-statements", "error", "transactions",
    "CONCURRENTLY inside BEGIN ... COMMIT, or beside statements that cannot run twice",
    why="Inside BEGIN ... COMMIT, PostgreSQL refuses CONCURRENTLY and the migration fails (error). "
        "Elsewhere the CLI runs it on its own and the file is applied and recorded, but not atomically: "
        "if a statement fails, the ones before it stay applied, the version is not recorded and the next "
        "push runs them again, which fails for a CREATE TABLE or ADD COLUMN (warning). Statements safe to "
        "run twice (CONCURRENTLY ... IF [NOT] EXISTS, COMMENT ON, SET, GRANT, ANALYZE) are not reported.",
    fix="Put each CREATE/DROP INDEX CONCURRENTLY in a migration file of its own, or with IF NOT EXISTS "
        "beside statements that can run twice; never inside BEGIN ... COMMIT.",
    bad="begin;\ncreate index concurrently orders_note_idx on orders (note);\ncommit;",
    good="-- 20240101000000_add_note.sql\nalter table orders add column note text;\n"
         "-- 20240101000001_index_note.sql\ncreate index concurrently orders_note_idx on orders (note);")
EXPLICIT_TX = rule(
    "explicit-transaction", "warning", "transactions", "BEGIN / COMMIT wrapping a whole migration",
    why="The CLI already runs each file in a transaction. A file with BEGIN, COMMIT or ROLLBACK is run "
        "statement by statement instead: outside BEGIN ... COMMIT each statement commits on its own, so "
        "if one fails those before it stay applied and the version is not recorded. A BEGIN ... COMMIT "
        "around the whole file is applied and recorded fine, but redundant.",
    fix="Remove BEGIN/COMMIT.",
    bad="begin;\nalter table orders add column note text;\ncommit;",
    good="alter table orders add column note text;")
SPLIT_TX = rule(
    "statements-after-commit", "error", "transactions", "statements lost after COMMIT; BEGIN; or to a ROLLBACK",
    why="After `COMMIT; BEGIN;` with no COMMIT at the end, the rest of the file is silently not applied and "
        "the version is not recorded, yet the push succeeds (supabase/cli#5047); a ROLLBACK inside BEGIN ... "
        "throws away the statements of its block. A COMMIT followed by more statements, or by balanced "
        "BEGIN ... COMMIT blocks (say, to use an enum value added before it), is applied and recorded.",
    fix="Close every BEGIN with a COMMIT, or remove the BEGIN/COMMIT pairs; remove the ROLLBACK.",
    bad="alter table a add column x int;\ncommit;\nbegin;\nalter table b add column y int;",
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
    """Measured with db push (CLI 3.1 and 2.122): the file is run statement by statement, so only an
    unclosed BEGIN after a COMMIT, or a ROLLBACK of a block, loses work."""
    tops = [s for s in ctx.sql.top_level if s.kind != "TransactionStmt" or s.body.get("kind") in _OPENS | _CLOSES]
    opened: int | None = None  # index in `tops` of the BEGIN of the open block
    closed: Stmt | None = None  # the first COMMIT / ROLLBACK
    for i, stmt in enumerate(tops):
        kind = stmt.body.get("kind") if stmt.kind == "TransactionStmt" else None
        if kind in _OPENS:
            opened = i
        elif kind in _CLOSES:
            if kind == "TRANS_STMT_ROLLBACK" and opened is not None and i - opened > 1:
                yield Hit(SPLIT_TX, stmt.start, f"ROLLBACK throws away the {i - opened - 1} statement(s) since the "
                          f"BEGIN on line {ctx.sql.pos(tops[opened].start)[0]}", "-- (remove this line)")
            opened, closed = None, closed or stmt
    if closed is not None and opened is not None and opened < len(tops) - 1 and tops[opened].start > closed.start:
        lost = len(tops) - opened - 1
        yield Hit(SPLIT_TX, closed.start, f"the BEGIN on line {ctx.sql.pos(tops[opened].start)[0]} after this is never "
                  f"committed: the {lost} statement(s) after it are not applied and the version is not recorded",
                  "-- (remove this line)")


@after_file
def uncommitted(ctx: FileCtx) -> Iterator[Hit]:
    if "open_tx" in ctx.scratch:
        yield Hit(UNCOMMITTED, ctx.scratch["open_tx"], "transaction opened here is never committed")


# Statements a re-run after a partial failure repeats harmlessly.
_RERUNNABLE = frozenset({"CommentStmt", "VariableSetStmt", "GrantStmt", "VacuumStmt", "TransactionStmt"})


@after_file
def concurrent_mixed(ctx: FileCtx) -> Iterator[Hit]:
    tops = ctx.sql.top_level
    opened: int | None = None  # the BEGIN of the explicit block we are in
    for stmt in tops:
        if stmt.kind == "TransactionStmt":
            kind = stmt.body.get("kind")
            opened = stmt.start if kind in _OPENS else None if kind in _CLOSES else opened
        elif _is_concurrent(stmt) and opened is not None:
            yield Hit(CONCURRENT_MIXED, stmt.start, f"inside the transaction opened on line {ctx.sql.pos(opened)[0]}: "
                      "PostgreSQL refuses CONCURRENTLY there and the migration fails", _alone(ctx, stmt))
            return
    pair = _applied_twice(tops)
    if pair is not None:
        early, concurrent = pair
        yield Hit(CONCURRENT_MIXED, concurrent.start, f"the statement on line {ctx.sql.pos(early.start)[0]} is "
                  "committed on its own: if a later one fails it stays applied, the version is not recorded and "
                  "the next push runs it again", _alone(ctx, concurrent), severity=Severity.WARNING)


def _alone(ctx: FileCtx, stmt: Stmt) -> str:
    return ctx.sql.text(stmt) + ";  -- alone in a new file"


def _applied_twice(tops: list[Stmt]) -> tuple[Stmt, Stmt] | None:
    """(a statement that cannot run twice but is committed before a later step that may fail, the
    CONCURRENTLY statement that splits the file there), or None. Such steps: a statement followed by a
    CONCURRENTLY one (the CLI commits what came before), or a CONCURRENTLY one without IF NOT EXISTS
    followed by anything."""
    once: Stmt | None = None
    for i, stmt in enumerate(tops):
        if _is_concurrent(stmt):
            if once is not None:
                return once, stmt
            if not _rerunnable(stmt) and any(s.kind not in ("VariableSetStmt", "TransactionStmt") for s in tops[i + 1:]):
                return stmt, stmt
        elif once is None and not _rerunnable(stmt):
            once = stmt
    return None


def _rerunnable(stmt: Stmt) -> bool:
    """Safe to run again after a partial failure: a CONCURRENTLY statement with IF [NOT] EXISTS (or a
    REINDEX), a comment, a setting, a grant, ANALYZE."""
    if _is_concurrent(stmt):
        return stmt.kind == "ReindexStmt" or bool(stmt.body.get("if_not_exists") or stmt.body.get("missing_ok"))
    return stmt.kind in _RERUNNABLE
