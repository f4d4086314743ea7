"""Findings about the input itself rather than about what the SQL does."""

from __future__ import annotations

from orchestrator.lint.rules import rule

SYNTAX = rule(
    "syntax-error", "error", "input", "SQL that Postgres cannot parse",
    why="The migration fails when pushed (PL/pgSQL bodies are checked at CREATE FUNCTION time too).",
    fix="Fix the SQL at the reported position.",
    bad="create tabel orders (id bigint);", good="create table orders (id bigint);")
NOT_CHECKED = rule(
    "plpgsql-not-checked", "warning", "input", "PL/pgSQL body the offline compiler could not read",
    why="The linter compiles PL/pgSQL without a database, so it cannot resolve some names (types in "
        "other schemas, rows of their tables). PostgreSQL may accept the body; its statements were not "
        "linted.",
    fix="Nothing is wrong as such; review the body's statements yourself, or ignore the rule for this "
        "statement with a reason.",
    bad="create function f() returns void language plpgsql as $$\n"
        "declare r weird_schema.custom_rowtype_with_unresolvable_parts; begin ... end $$;",
    good="-- orchestrator-lint: ignore plpgsql-not-checked -- reviewed by hand\ncreate function f() ...;")
UNKNOWN_IGNORE = rule(
    "unknown-ignore-rule", "warning", "input", "ignore comment naming a rule that does not exist",
    why="A misspelt rule id suppresses nothing, so the finding it meant to silence is still there "
        "and the comment misleads readers.",
    fix="Use an id from docs/lint-rules.md.",
    bad="-- orchestrator-lint: ignore ban-drop-tables -- archived", good="-- orchestrator-lint: ignore "
        "ban-drop-table -- archived")
