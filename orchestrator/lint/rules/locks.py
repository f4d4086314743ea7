"""Locks and table rewrites: statements that block reads or writes on a busy table.

Background: https://www.postgresql.org/docs/current/explicit-locking.html and
https://supabase.com/docs/guides/database/postgres/indexes (build indexes concurrently).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from orchestrator.lint.model import Severity
from orchestrator.lint.nodes import dotted, func_names, qualified, strings, type_name
from orchestrator.lint.rules import FileCtx, Hit, Unless, cmds, facts, new_table, on, rule
from orchestrator.lint.sqlfile import Stmt

CONCURRENT_INDEX = rule(
    "require-concurrent-index", "error", "locks", "CREATE INDEX without CONCURRENTLY on an existing table",
    why="A plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE "
        "on the table waits until the index is built.",
    fix="Use CREATE INDEX CONCURRENTLY in a migration file of its own (it cannot run in a transaction).",
    bad="create index orders_user_id_idx on orders (user_id);",
    good="create index concurrently if not exists orders_user_id_idx on orders (user_id);")

CONCURRENT_DROP = rule(
    "require-concurrent-index-drop", "error", "locks", "DROP INDEX without CONCURRENTLY",
    why="DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: it waits behind every running query "
        "and blocks all reads and writes behind it.",
    fix="Use DROP INDEX CONCURRENTLY in a migration file of its own.",
    bad="drop index orders_user_id_idx;",
    good="drop index concurrently if exists orders_user_id_idx;")

REQUIRED_COLUMN = rule(
    "adding-required-column", "error", "locks", "ADD COLUMN ... NOT NULL without a DEFAULT",
    why="On a table with rows this fails outright (existing rows would hold NULL), and old app "
        "versions that do not send the column start failing once it succeeds.",
    fix="Add the column with a DEFAULT, or add it nullable, backfill, then enforce NOT NULL safely.",
    bad="alter table orders add column status text not null;",
    good="alter table orders add column status text not null default 'new';")

VOLATILE_DEFAULT = rule(
    "volatile-default", "error", "locks", "ADD COLUMN with a volatile DEFAULT rewrites the table",
    why="Since Postgres 11 a constant DEFAULT is free, but a volatile one (random(), gen_random_uuid(), "
        "clock_timestamp(), nextval(), serial types) is evaluated per row: the whole table is rewritten "
        "under an ACCESS EXCLUSIVE lock.",
    fix="Add the column without a default, set the default for new rows, then backfill in batches.",
    bad="alter table orders add column token uuid default gen_random_uuid();",
    good="alter table orders add column token uuid;\n"
         "alter table orders alter column token set default gen_random_uuid();\n"
         "-- backfill in batches: update orders set token = gen_random_uuid() where id between ... ;")

SET_NOT_NULL = rule(
    "set-not-null", "error", "locks", "SET NOT NULL on an existing column",
    why="SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock to check for NULLs.",
    fix="Add a CHECK (col IS NOT NULL) NOT VALID constraint, VALIDATE it in a later migration, then "
        "SET NOT NULL (Postgres 12+ skips the scan) and drop the check.",
    bad="alter table orders alter column status set not null;",
    good="alter table orders add constraint orders_status_not_null check (status is not null) not valid;\n"
         "-- next migration:\n"
         "alter table orders validate constraint orders_status_not_null;\n"
         "alter table orders alter column status set not null;\n"
         "alter table orders drop constraint orders_status_not_null;")

NOT_VALID = rule(
    "constraint-missing-not-valid", "error", "locks", "ADD CHECK / FOREIGN KEY without NOT VALID",
    why="Adding a CHECK or FOREIGN KEY validates every existing row while holding a lock that blocks "
        "writes (for a foreign key, on both tables). A REFERENCES on a column added without a DEFAULT "
        "is not validated (every row holds NULL) and is not reported.",
    fix="Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration (it takes a "
        "weaker lock that lets reads and writes continue).",
    bad="alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);",
    good="alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) "
         "not valid;\n-- next migration:\nalter table orders validate constraint orders_user_fk;")

VALIDATE_SAME_FILE = rule(
    "validate-in-same-file", "warning", "locks", "VALIDATE CONSTRAINT in the file that added it NOT VALID",
    why="A migration file runs in one transaction, so the lock taken by ADD CONSTRAINT is still held "
        "while VALIDATE scans the table: NOT VALID buys nothing.",
    fix="Move VALIDATE CONSTRAINT to a later migration file.",
    bad="alter table orders add constraint c check (total >= 0) not valid;\n"
        "alter table orders validate constraint c;",
    good="alter table orders add constraint c check (total >= 0) not valid;\n"
         "-- next migration:\nalter table orders validate constraint c;")

UNIQUE_EXISTING = rule(
    "unique-on-existing-table", "error", "locks", "ADD UNIQUE / PRIMARY KEY on an existing table",
    why="Adding a UNIQUE or PRIMARY KEY constraint builds its index under an ACCESS EXCLUSIVE lock: "
        "no reads or writes until the build ends.",
    fix="Build the unique index CONCURRENTLY first, then attach it with ADD CONSTRAINT ... USING INDEX.",
    bad="alter table users add constraint users_email_key unique (email);",
    good="create unique index concurrently users_email_key on users (email);\n"
         "-- next migration:\nalter table users add constraint users_email_key unique using index users_email_key;")

COLUMN_TYPE = rule(
    "changing-column-type", "error", "locks", "ALTER COLUMN TYPE that is not binary-coercible",
    why="Unless the new type is binary-coercible (varchar(n) to text or a longer varchar, numeric to a "
        "wider numeric), Postgres rewrites the table and its indexes under an ACCESS EXCLUSIVE lock. "
        "timestamp to timestamptz (or back) is rewritten only when the session TimeZone is not UTC: a "
        "warning, none after SET timezone = 'UTC'.",
    fix="Add a new column, backfill it in batches, switch readers and writers, then drop the old one.",
    bad="alter table orders alter column total type numeric(12,2);  -- total was integer",
    good="alter table orders alter column note type text;  -- note was varchar(200)")

LOCK_TIMEOUT = rule(
    "require-lock-timeout", "warning", "locks", "lock-taking statement without lock_timeout set before it",
    why="A statement waiting for a lock queues every later query on the table behind it; without "
        "lock_timeout a long-running query elsewhere turns the migration into an outage.",
    fix="Start the migration with SET lock_timeout = '5s'; (retry the migration if it times out).",
    bad="alter table orders add column note text;",
    good="set lock_timeout = '5s';\nalter table orders add column note text;")

VOLATILE_FUNCS = frozenset({
    "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
    "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval", "txid_current", "gen_random_bytes",
    "statement_timestamp", "random_normal"})
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_VERBS = {"AlterTableStmt": "ALTER TABLE", "IndexStmt": "CREATE INDEX", "CreateTrigStmt": "CREATE TRIGGER",
          "CreatePolicyStmt": "CREATE POLICY", "AlterPolicyStmt": "ALTER POLICY", "RenameStmt": "RENAME"}
LOCKING_DROPS = frozenset({"OBJECT_TABLE", "OBJECT_INDEX", "OBJECT_MATVIEW", "OBJECT_TRIGGER", "OBJECT_POLICY"})


def _column_constraints(coldef: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["Constraint"]["contype"]: c["Constraint"] for c in coldef.get("constraints", ()) if "Constraint" in c}


@on("IndexStmt")
def concurrent_index(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if not stmt.body.get("concurrent"):
        table = qualified(stmt.body.get("relation"))
        text = ctx.sql.text(stmt)
        rewrite = re.sub(r"(?i)^create(\s+unique)?\s+index\s+", lambda m: f"create{m.group(1) or ''} index "
                         "concurrently ", text, count=1) + ";  -- in a file of its own"
        yield Hit(CONCURRENT_INDEX, stmt.start, f"index on {table} built without CONCURRENTLY blocks writes",
                  rewrite, (new_table(table),))


@on("DropStmt")
def concurrent_drop(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if stmt.body.get("removeType") != "OBJECT_INDEX" or stmt.body.get("concurrent"):
        return
    names = [dotted(strings(o.get("List", {}).get("items"))) for o in stmt.body.get("objects", ())]
    dropped: set[str] = ctx.scratch.get("dropped_constraints", set())
    if names and all(n in dropped for n in names):
        unsure = [n for n in names if not n.endswith(_KEY_SUFFIXES)]
        if not unsure:
            return
        unless: tuple[Unless, ...] = (Unless(f"keyed-constraint:{unsure[0]}", "before"),) if len(unsure) == 1 else ()
    else:
        unless = ()
    text = ctx.sql.text(stmt)
    rewrite = re.sub(r"(?i)^drop\s+index\s+", "drop index concurrently ", text, count=1) + ";"
    yield Hit(CONCURRENT_DROP, stmt.start, "DROP INDEX without CONCURRENTLY locks the table", rewrite, unless)


# The index behind a PRIMARY KEY / UNIQUE / EXCLUDE constraint has the constraint's name and goes with it:
# `supabase db diff` writes `drop constraint t_pkey;` then `drop index if exists t_pkey;`, a no-op that
# locks nothing. A constraint is known to have an index by its default name or by its definition.
_KEY_SUFFIXES = ("_pkey", "_key", "_excl")
_KEYED = frozenset({"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"})


@facts("AlterTableStmt")
def dropped_constraints(stmt: Stmt, ctx: FileCtx) -> None:
    schema = qualified(stmt.body.get("relation")).split(".")[0]
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_DropConstraint":
            ctx.scratch.setdefault("dropped_constraints", set()).add(f"{schema}.{cmd.get('name', '')}")
        con = cmd.get("def", {}).get("Constraint", {}) if cmd.get("subtype") == "AT_AddConstraint" else {}
        if con.get("contype") in _KEYED and con.get("conname"):
            ctx.record(f"keyed-constraint:{schema}.{con['conname']}")


@facts("CreateStmt")
def keyed_constraints(stmt: Stmt, ctx: FileCtx) -> None:
    schema = qualified(stmt.body.get("relation")).split(".")[0]
    for con in _constraints(stmt.body):
        if con.get("contype") in _KEYED and con.get("conname"):
            ctx.record(f"keyed-constraint:{schema}.{con['conname']}")


@on("AlterTableStmt")
def add_column(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        if cmd.get("subtype") != "AT_AddColumn" or "ColumnDef" not in cmd.get("def", {}):
            continue
        col = cmd["def"]["ColumnDef"]
        cons = _column_constraints(col)
        where = stmt.offset(col)
        yield from _required(table, col, cons, where)
        yield from _volatile(table, col, cons, where, ctx.cfg.pg_version)
        yield from _inline_constraints(table, col, cons, where)


def _inline_constraints(table: str, col: dict[str, Any], cons: dict[str, Any], where: int) -> Iterator[Hit]:
    """UNIQUE / PRIMARY KEY / REFERENCES written into ADD COLUMN do what the ADD CONSTRAINT forms do."""
    name = col.get("colname", "")
    for kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY"):
        if kind in cons:
            word = "UNIQUE" if kind == "CONSTR_UNIQUE" else "PRIMARY KEY"
            yield Hit(UNIQUE_EXISTING, where, f"{word} on the new column {table}.{name} builds its index under an "
                      "ACCESS EXCLUSIVE lock", unless=(new_table(table),))
    # Without a DEFAULT every existing row holds NULL and PostgreSQL skips the validation (measured on
    # PG 15, 2M rows: 0.01 s, no seq scan); any DEFAULT, even NULL, or a STORED expression makes it scan.
    valued = [c for c in ("CONSTR_DEFAULT", "CONSTR_GENERATED") if c in cons]
    if "CONSTR_FOREIGN" in cons and valued and not cons["CONSTR_FOREIGN"].get("skip_validation"):
        what = "a DEFAULT" if valued[0] == "CONSTR_DEFAULT" else "a generated value"
        yield Hit(NOT_VALID, where, f"REFERENCES on the new column {table}.{name} with {what} validates every row "
                  "and locks the referenced table", unless=(new_table(table),))


def _required(table: str, col: dict[str, Any], cons: dict[str, Any], where: int) -> Iterator[Hit]:
    implicit = {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"} & cons.keys()
    if "CONSTR_NOTNULL" in cons and not implicit and type_name(col.get("typeName"))[0] not in SERIAL_TYPES:
        yield Hit(REQUIRED_COLUMN, where, f"column {col.get('colname')} is NOT NULL without a DEFAULT",
                  unless=(new_table(table),))


def _volatile(table: str, col: dict[str, Any], cons: dict[str, Any], where: int, pg_version: int) -> Iterator[Hit]:
    default = cons.get("CONSTR_DEFAULT")
    called = set(func_names(default.get("raw_expr"))) if default else set()
    volatile = sorted(called & VOLATILE_FUNCS)
    generated = cons.get("CONSTR_GENERATED", {})
    if type_name(col.get("typeName"))[0] in SERIAL_TYPES:
        volatile.append("a serial type (nextval)")
    elif "CONSTR_IDENTITY" in cons:
        volatile.append("an identity (nextval for every row)")
    elif generated.get("generated_kind", "s") == "s" and generated:
        volatile.append("a STORED generated expression (computed for every row)")
    elif default and pg_version < 11 and not volatile:
        volatile.append("any DEFAULT before Postgres 11")
    if volatile:
        yield Hit(VOLATILE_DEFAULT, where, f"default of column {col.get('colname')} uses {', '.join(volatile)}: "
                  "the table is rewritten", unless=(new_table(table),))
        return
    # A function of the project's own is VOLATILE unless declared IMMUTABLE or STABLE: known from its
    # CREATE FUNCTION in these migrations; an unknown function gets the benefit of the doubt.
    for fn in sorted(called - VOLATILE_FUNCS):
        yield Hit(VOLATILE_DEFAULT, where, f"default of column {col.get('colname')} calls {fn}(), declared "
                  "VOLATILE: the table is rewritten", unless=(new_table(table), Unless(f"volatility:{fn}", "before",
                                                                                        "assume-ne:v")))


@on("AlterTableStmt")
def set_not_null(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_SetNotNull":
            name = cmd.get("name", "")
            rewrite = (f"alter table {table} add constraint {name}_not_null check ({name} is not null) not valid;\n"
                       f"-- next migration:\nalter table {table} validate constraint {name}_not_null;\n"
                       f"alter table {table} alter column {name} set not null;")
            # a column added earlier in this file still needs the scan (the table is not new); only a
            # VALIDATED `CHECK (col IS NOT NULL)` lets Postgres skip it
            yield Hit(SET_NOT_NULL, stmt.start, f"SET NOT NULL on {table}.{name} scans the table under an "
                      "ACCESS EXCLUSIVE lock", rewrite,
                      (new_table(table), Unless(f"notnull-check:{table}.{name}", "before", "validated")))


@on("AlterTableStmt")
def add_constraint(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        con = cmd.get("def", {}).get("Constraint") if cmd.get("subtype") == "AT_AddConstraint" else None
        if con is None:
            continue
        where = stmt.offset(con)
        kind = con.get("contype")
        if kind in ("CONSTR_CHECK", "CONSTR_FOREIGN") and not con.get("skip_validation"):
            yield Hit(NOT_VALID, where, f"constraint {con.get('conname', '')} validates every row while "
                      "blocking writes", ctx.sql.text(stmt) + " not valid;", (new_table(table),))
        if kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not con.get("indexname"):
            yield Hit(UNIQUE_EXISTING, where, f"{'UNIQUE' if kind == 'CONSTR_UNIQUE' else 'PRIMARY KEY'} "
                      f"on {table} builds its index under an ACCESS EXCLUSIVE lock",
                      _unique_rewrite(table, con), (new_table(table),))


def _unique_rewrite(table: str, con: dict[str, Any]) -> str:
    cols = ", ".join(strings(con.get("keys")))
    name = con.get("conname") or f"{table.split('.')[-1]}_{'_'.join(strings(con.get('keys')))}_key"
    kind = "unique" if con.get("contype") == "CONSTR_UNIQUE" else "primary key"
    return (f"create unique index concurrently {name} on {table} ({cols});\n"
            f"-- next migration:\nalter table {table} add constraint {name} {kind} using index {name};")


@on("AlterTableStmt")
def validate_same_file(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    added: set[str] = ctx.scratch.setdefault("not_valid", set())
    for cmd in cmds(stmt):
        con = cmd.get("def", {}).get("Constraint", {})
        if cmd.get("subtype") == "AT_AddConstraint" and con.get("skip_validation"):
            added.add(f"{table}.{con.get('conname', '')}")
        elif cmd.get("subtype") == "AT_ValidateConstraint" and f"{table}.{cmd.get('name')}" in added:
            yield Hit(VALIDATE_SAME_FILE, stmt.start, f"constraint {cmd.get('name')} is validated in the "
                      "transaction that added it NOT VALID", unless=(new_table(table),))


@on("AlterTableStmt")
def column_type(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        if cmd.get("subtype") != "AT_AlterColumnType":
            continue
        name = cmd.get("name", "")
        coldef = cmd.get("def", {}).get("ColumnDef", {})
        target = canonical_type(coldef.get("typeName"))
        if _computed(coldef.get("raw_default"), name):  # USING lower(x): rewritten whatever the types
            yield Hit(COLUMN_TYPE, stmt.offset(coldef), f"changing {table}.{name} to {target} USING an "
                      "expression rewrites the table", unless=(new_table(table),))
            continue
        paired = _TZ_PAIRS.get(target)
        exempt = (Unless(f"coltype:{table}.{name}", "before", f"assume-eq:{paired}"),) if paired else ()
        yield Hit(COLUMN_TYPE, stmt.offset(coldef),
                  f"changing {table}.{name} to {target} rewrites the table unless the old type is "
                  "binary-coercible to it",
                  unless=(new_table(table), _old_type_ok(table, name, target), *exempt))
        if paired and not ctx.scratch.get("utc_session"):
            yield Hit(COLUMN_TYPE, stmt.offset(coldef), f"changing {table}.{name} from {paired} to {target} "
                      "rewrites the table unless the session TimeZone is UTC (Supabase's default)",
                      f"set timezone = 'UTC';\n{ctx.sql.text(stmt)};",
                      (new_table(table), Unless(f"coltype:{table}.{name}", "before", f"ne:{paired}")),
                      Severity.WARNING)


# timestamp <-> timestamptz keeps the table when the session's time zone is UTC (PostgreSQL 12+; measured
# on PG 15: pg_relation_filenode unchanged under UTC, with or without `USING col::timestamptz`, changed
# under Europe/Paris). The CLI's RESET ALL before each file leaves the database's TimeZone, UTC on Supabase
# unless changed: a warning, unless the file sets a UTC zone first.
_TZ_PAIRS = {"timestamptz": "timestamp", "timestamp": "timestamptz"}
_UTC_ZONES = frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "zulu", "etc/zulu", "uct", "etc/uct"})


@facts("VariableSetStmt")
def session_time_zone(stmt: Stmt, ctx: FileCtx) -> None:
    body = stmt.body
    if body.get("kind") == "VAR_RESET_ALL" or body.get("name") == "timezone":
        args = body.get("args") or [{}]
        zone = args[0].get("A_Const", {}).get("sval", {}).get("sval", "")
        ctx.scratch["utc_session"] = body.get("kind") == "VAR_SET_VALUE" and zone.lower() in _UTC_ZONES


def _computed(using: dict[str, Any] | None, column: str) -> bool:
    """A USING expression that is more than the column itself, maybe cast (measured on PG 15: `USING
    note::text` from varchar keeps the table; `USING lower(note)` rewrites it)."""
    if not using:
        return False
    node = using.get("TypeCast", {}).get("arg", using)
    fields = strings(node.get("ColumnRef", {}).get("fields")) if "ColumnRef" in node else []
    return fields[-1:] != [column]


def _old_type_ok(table: str, column: str, target: str) -> Unless:
    """Coercible from the column's known type; to text or unbounded varchar, an unknown old type is
    assumed to be varchar (by far the common case), so only a known non-varchar type is flagged."""
    lenient = "assume-" if target in ("text", "varchar") else ""
    return Unless(f"coltype:{table}.{column}", "before", f"{lenient}coercible:{target}")


_ALIASES = {"int4": "integer", "int": "integer", "int8": "bigint", "int2": "smallint", "bpchar": "char",
            "character varying": "varchar", "timestamp with time zone": "timestamptz"}


def canonical_type(tn: dict[str, Any] | None) -> str:
    name, mods = type_name(tn)
    name = _ALIASES.get(name, name)
    return f"{name}({','.join(map(str, mods))})" if mods else name


@on("AlterTableStmt", "IndexStmt", "DropStmt", "TruncateStmt", "RenameStmt", "CreateTrigStmt",
    "CreatePolicyStmt", "AlterPolicyStmt", "VariableSetStmt", "SelectStmt", "CreateStmt")
def lock_timeout(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if not stmt.runs_now or ctx.scratch.get("lock_timeout_done"):
        return
    if _sets_lock_timeout(stmt, ctx):
        ctx.scratch["lock_timeout_done"] = True
        return
    table = _locked_table(stmt, ctx)
    if table and f"table:{table}" in ctx.facts:
        return  # created earlier in this file: nobody else holds it; a later statement may still need it
    if table is not None:
        ctx.scratch["lock_timeout_done"] = True  # one finding per file is enough
        unless = (new_table(table),) if table else ()
        verb = _VERBS.get(stmt.kind, stmt.kind.removesuffix("Stmt").upper())
        yield Hit(LOCK_TIMEOUT, stmt.start, f"{verb} takes a lock with no lock_timeout set before it", "set lock_timeout = '5s';\n" + ctx.sql.text(stmt) + ";", unless)


def _sets_lock_timeout(stmt: Stmt, ctx: FileCtx) -> bool:
    if stmt.kind == "VariableSetStmt":
        args = stmt.body.get("args") or [{}]
        value = args[0].get("A_Const", {})
        zero = value.get("ival") == {} or value.get("sval", {}).get("sval") == "0"  # zero turns it off
        return stmt.body.get("name") == "lock_timeout" and not zero
    return stmt.kind == "SelectStmt" and "set_config" in set(func_names(stmt.body)) and \
        "lock_timeout" in ctx.sql.text(stmt)


def _locked_table(stmt: Stmt, ctx: FileCtx) -> str | None:
    """The table a statement locks ("" when several or unknown), None when it takes no notable lock;
    of the tables a CREATE TABLE references, the first not created earlier in the file."""
    body, kind = stmt.body, stmt.kind
    if kind in ("AlterTableStmt", "CreateTrigStmt", "RenameStmt"):
        return qualified(body.get("relation")) if body.get("relation") else ""
    if kind == "IndexStmt":
        return None if body.get("concurrent") else qualified(body.get("relation"))
    if kind in ("CreatePolicyStmt", "AlterPolicyStmt"):
        return qualified(body.get("table"))
    if kind == "DropStmt":
        return "" if body.get("removeType") in LOCKING_DROPS and not body.get("concurrent") else None
    if kind == "CreateStmt":  # a foreign key locks the table it references (SHARE ROW EXCLUSIVE: no writes)
        refs = [qualified(c["pktable"]) for c in _constraints(body)
                if c.get("contype") == "CONSTR_FOREIGN" and c.get("pktable")]
        return next((r for r in refs if f"table:{r}" not in ctx.facts), refs[0]) if refs else None
    return "" if kind == "TruncateStmt" else None


def _constraints(create: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The constraints of a CREATE TABLE in the order written: table-level ones and those of each
    column (a whole-tree walk here cost ~8% of a large run, and gave them last first)."""
    for elt in create.get("tableElts", ()):
        if "Constraint" in elt:
            yield elt["Constraint"]
        for con in elt.get("ColumnDef", {}).get("constraints", ()):
            if "Constraint" in con:
                yield con["Constraint"]
