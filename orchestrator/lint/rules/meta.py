"""Findings about the input itself rather than about what the SQL does."""

from __future__ import annotations

from orchestrator.lint.rules import rule

SYNTAX = rule(
    "syntax-error", "error", "input", "SQL that Postgres cannot parse",
    why="The migration fails when pushed (PL/pgSQL bodies are checked at CREATE FUNCTION time too).",
    fix="Fix the SQL at the reported position.",
    bad="create tabel orders (id bigint);", good="create table orders (id bigint);")
UNKNOWN_IGNORE = rule(
    "unknown-ignore-rule", "warning", "input", "ignore comment naming a rule that does not exist",
    why="A misspelt rule id suppresses nothing, so the finding it meant to silence is still there "
        "and the comment misleads readers.",
    fix="Use an id from docs/lint-rules.md.",
    bad="-- orchestrator-lint: ignore ban-drop-tables -- archived", good="-- orchestrator-lint: ignore "
        "ban-drop-table -- archived")
