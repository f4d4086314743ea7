"""Supabase specifics: tables the Data API exposes, policies, SECURITY DEFINER functions, and
data changes without a WHERE clause.

Tables in an exposed schema are readable through the Data API with the anon key unless RLS is
enabled: https://supabase.com/docs/guides/database/postgres/row-level-security
"""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator.lint.model import Severity
from orchestrator.lint.nodes import def_elems, dotted, qualified, strings
from orchestrator.lint.rules import FileCtx, Hit, Unless, cmds, facts, on, rule
from orchestrator.lint.sqlfile import Stmt

RLS_MISSING = rule(
    "rls-not-enabled", "error", "supabase", "table in an exposed schema without ROW LEVEL SECURITY",
    why="Tables in exposed schemas (default: public) are served by the Data API; without RLS anyone "
        "with the anon key can read and write every row.",
    fix="Enable RLS in the same migration (or a later one) and add policies for the access you intend.",
    bad="create table public.profiles (id uuid primary key, bio text);",
    good="create table public.profiles (id uuid primary key, bio text);\n"
         "alter table public.profiles enable row level security;")
POLICY_NO_RLS = rule(
    "policy-without-rls", "error", "supabase", "policy on a table whose RLS is never enabled",
    why="Policies are ignored until RLS is enabled on the table: the policy looks like protection "
        "but the table stays open. On a table no migration creates (made in the dashboard or a schema "
        "file) the RLS state is unknown: a warning, once per table and file.",
    fix="ALTER TABLE ... ENABLE ROW LEVEL SECURITY on the table.",
    bad="create policy own_rows on notes for select using (auth.uid() = user_id);",
    good="alter table notes enable row level security;\n"
         "create policy own_rows on notes for select using (auth.uid() = user_id);")
DEFINER_PATH = rule(
    "security-definer-search-path", "error", "supabase", "SECURITY DEFINER function without SET search_path",
    why="A SECURITY DEFINER function runs with its owner's rights; with the caller's search_path, "
        "a caller can shadow tables or functions it uses and run code as the owner.",
    fix="Add SET search_path = '' and schema-qualify every name in the body.",
    bad="create function public.admin_count() returns bigint language sql security definer\n"
        "as $$ select count(*) from users $$;",
    good="create function public.admin_count() returns bigint language sql security definer\n"
         "set search_path = '' as $$ select count(*) from public.users $$;")
NO_WHERE = rule(
    "update-delete-without-where", "error", "supabase", "UPDATE or DELETE without WHERE",
    why="Changes every row of the table, usually by mistake. Also checked inside DO blocks, which the "
        "migration runs; not inside function bodies, which run when called (the migration only defines them).",
    fix="Add a WHERE clause; if every row is really meant, say so: WHERE true.",
    bad="update profiles set plan = 'free';",
    good="update profiles set plan = 'free' where plan is null;")


@on("CreateStmt")
def rls_missing(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    rel = stmt.body.get("relation", {})
    if stmt.nested and not stmt.runs_now or stmt.body.get("partbound") or rel.get("relpersistence") == "t":
        return
    table = qualified(rel)
    if table.split(".")[0] in ctx.cfg.exposed_schemas:
        yield Hit(RLS_MISSING, stmt.start, f"{table} is exposed by the Data API but RLS is never enabled",
                  f"alter table {table} enable row level security;",
                  (Unless(f"rls:{table}", "or_later", "eq:on"),))


# Supabase creates these with RLS enabled (storage.objects, storage.buckets, realtime.messages, the
# auth tables): policies on them are how a project grants access, not a mistake.
PLATFORM_SCHEMAS = frozenset({"storage", "auth", "realtime"})


@on("CreatePolicyStmt")
def policy_without_rls(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    table = qualified(stmt.body.get("table"))
    if table.split(".")[0] in PLATFORM_SCHEMAS and "." in table:
        return
    enable = f"alter table {table} enable row level security;"
    rls_on = Unless(f"rls:{table}", "anywhere", "eq:on")
    yield Hit(POLICY_NO_RLS, stmt.start, f"policy {stmt.body.get('policy_name')} on {table} does nothing: "
              "RLS is never enabled on the table", enable, (rls_on, Unless(f"table:{table}", "anywhere", "absent")))
    # A table no migration creates was made elsewhere (the dashboard, which enables RLS by default, or a
    # schema file): its RLS state is unknown, not off. Once per table and file.
    unchecked: set[str] = ctx.scratch.setdefault("rls_unchecked", set())
    if table not in unchecked:
        unchecked.add(table)
        yield Hit(POLICY_NO_RLS, stmt.start, f"no migration creates {table}, so whether RLS is enabled on it "
                  "could not be checked: enabling it here (idempotent) makes sure the policy applies",
                  enable + "  -- a no-op if it is already on",
                  (rls_on, Unless(f"table:{table}", "anywhere", "present")), Severity.WARNING)


@on("CreateFunctionStmt")
def definer_search_path(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    opts = def_elems(stmt.body.get("options"))
    definer = opts.get("security", {}).get("arg", {}).get("Boolean", {}).get("boolval", False)
    sets = [o["DefElem"]["arg"].get("VariableSetStmt", {}).get("name") for o in stmt.body.get("options", ())
            if o.get("DefElem", {}).get("defname") == "set"]
    if definer and "search_path" not in sets:
        name = dotted(strings(stmt.body.get("funcname")))
        yield Hit(DEFINER_PATH, stmt.start, f"SECURITY DEFINER function {name} runs with the caller's "
                  "search_path", "... security definer set search_path = '' as $$ ... $$;")


BACKFILL = rule(
    "backfill-in-migration", "warning", "supabase", "UPDATE of every row to fill a column added in the same file",
    why="A deliberate backfill, but one transaction rewriting every row: on a big table it holds row locks, "
        "bloats the table and can run for a long time while the migration holds its other locks.",
    fix="Fine on small tables. On big ones, backfill in batches outside the migration (or in later "
        "migrations of their own).",
    bad="alter table orders add column plan text;\nupdate orders set plan = 'free';",
    good="alter table orders add column plan text default 'free';")


@on("UpdateStmt", "DeleteStmt")
def without_where(stmt: Stmt, ctx: FileCtx) -> Iterator[Hit]:
    if not stmt.runs_now:  # a function body: what it does when called is the caller's business
        return
    if "whereClause" not in stmt.body:
        verb = "UPDATE" if stmt.kind == "UpdateStmt" else "DELETE"
        table = qualified(stmt.body.get("relation"))
        targets = [t.get("ResTarget", {}).get("name") for t in stmt.body.get("targetList", ())]
        if stmt.kind == "UpdateStmt" and targets and \
                all(f"column:{table}.{t}" in ctx.facts for t in targets):
            yield Hit(BACKFILL, stmt.start, f"UPDATE of every row of {table} fills {', '.join(map(str, targets))}, "
                      "added in this file")
            return
        yield Hit(NO_WHERE, stmt.start, f"{verb} of every row of {table}", ctx.sql.text(stmt) + " where ...;")


@facts("AlterTableStmt")
def rls_state(stmt: Stmt, ctx: FileCtx) -> None:
    table = qualified(stmt.body.get("relation"))
    for cmd in cmds(stmt):
        if cmd.get("subtype") == "AT_EnableRowSecurity":  # FORCE alone leaves RLS off: the table stays open
            ctx.record(f"rls:{table}", "on")
        elif cmd.get("subtype") == "AT_DisableRowSecurity":
            ctx.record(f"rls:{table}", "off")
