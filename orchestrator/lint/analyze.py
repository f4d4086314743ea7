"""Lint one file: parse it once, run the statement checkers in order (recording facts for later
statements and files), then the file checkers. Runs in worker processes for large sets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import NamedTuple

from orchestrator.lint.config import LintConfig
from orchestrator.lint.model import Finding
from orchestrator.lint.rules import (
    BY_KIND,
    FACTS,
    FILE_CHECKS,
    RULES,
    FileCtx,
    Hit,
    StmtCheck,
    Unless,
    load_rules,
)
from orchestrator.lint.rules.meta import NOT_CHECKED, SYNTAX, UNKNOWN_IGNORE
from orchestrator.lint.settle import FactIndex
from orchestrator.lint.sqlfile import SqlFile, Stmt, load

load_rules()


class FileResult(NamedTuple):
    """What one worker found in one file, before set-wide conditions are settled.

    A tuple, and the facts packed in one string: results cross a process boundary, and pickling
    tens of thousands of small tuples cost more than the rest of the hand-over."""

    path: Path
    findings: tuple[tuple[Finding, tuple[Unless, ...]], ...]
    packed_events: str  # "key\0value\0key\0value..." (no NUL in SQL text or names)
    file_ignores: frozenset[str]

    def events(self, keys: Collection[str]) -> list[tuple[str, str]]:
        """This file's (key, value) facts, in order, for the keys asked about."""
        parts = self.packed_events.split("\0") if self.packed_events else []
        return [(k, v) for k, v in zip(parts[::2], parts[1::2], strict=True)
                if k in keys or k.startswith(("renamed:", "rls:", "validated:"))]


Pending = tuple[Hit, "Stmt | None", tuple[Unless, ...]]


def analyze_file(path: Path, display: str, cfg: LintConfig, data: bytes | None = None) -> FileResult:
    """Parse one file (or `data` standing for it) and run every statement and file checker on it."""
    sql = load(path, display, data)
    ctx = FileCtx(sql, cfg)
    by_start = {s.start: s for s in sql.stmts if s.parent is None}
    pending: list[Pending] = []
    for rule_id, problems in ((SYNTAX, sql.errors), (NOT_CHECKED, sql.unchecked)):
        for problem in problems:  # a statement's ignore comment applies to its body's problems too
            owner = by_start.get(problem.offset)
            if owner is None or rule_id not in owner.ignores:
                pending.append((Hit(rule_id, problem.offset, problem.message), owner, ()))
    for stmt in sql.stmts:
        checks = BY_KIND.get(stmt.kind)
        if checks:
            pending += _stmt_hits(stmt, checks, ctx)
        if stmt.runs_now:
            for record in FACTS.get(stmt.kind, ()):
                record(stmt, ctx)
    for check in FILE_CHECKS:
        for hit in check(ctx):
            owner = by_start.get(hit.offset)
            if owner is None or hit.rule not in owner.ignores:
                pending.append((hit, owner, hit.unless))
    pending += [(h, None, ()) for h in _unknown_ignores(sql)]
    here = _FileFacts(ctx.events)
    out = tuple((to_finding(sql, h, s), u) for h, s, u in pending if not any(here.holds(c) for c in u))
    packed = "\0".join(part for event in ctx.events for part in event)
    return FileResult(path, out, packed, frozenset(sql.file_ignores))


def _stmt_hits(stmt: Stmt, checks: list[StmtCheck], ctx: FileCtx) -> list[Pending]:
    out: list[Pending] = []
    for check in checks:
        for hit in check(stmt, ctx):
            if hit.rule in stmt.ignores:
                continue
            unless = _settle_locally(hit.unless, ctx) if hit.unless else ()
            if unless is not None:
                out.append((hit, stmt, unless))
    return out


def _settle_locally(unless: tuple[Unless, ...], ctx: FileCtx) -> tuple[Unless, ...] | None:
    """None when an earlier statement of this file already satisfies a condition; else the
    conditions left for the whole set (those this file decided are dropped)."""
    left = []
    for u in unless:
        if u.test == "validated" and u.key in ctx.facts:
            state = ctx.facts[u.key]
            table = u.key.removeprefix("notnull-check:").rsplit(".", 1)[0]
            if state == "valid" or f"validated:{table}.{state.removeprefix('not_valid:')}" in ctx.facts:
                return None
            left.append(u)
            continue
        if u.scope in ("new", "before") and u.key in ctx.facts:
            if FactIndex.test(u.test, ctx.facts[u.key]):
                return None
            continue
        left.append(u)
    return tuple(left)


class _FileFacts:
    """This file's facts once it is read to the end: `or_later` and `anywhere` conditions they
    satisfy hold for the whole set too, so those findings are dropped before a `Finding` is built."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        self.events = events
        self.by_key: dict[str, list[str]] | None = None

    def holds(self, cond: Unless) -> bool:
        if cond.scope not in ("or_later", "anywhere"):
            return False
        if self.by_key is None:
            self.by_key = {}
            for key, value in self.events:
                self.by_key.setdefault(key, []).append(value)
        return any(FactIndex.test(cond.test, v) for v in self.by_key.get(cond.key, ()))


def _unknown_ignores(sql: SqlFile) -> Iterator[Hit]:
    for comment in sql.comments:
        for name in comment.rules:
            if name not in RULES:
                yield Hit(UNKNOWN_IGNORE, comment.offset, f"ignore names unknown rule {name!r}")


def to_finding(sql: SqlFile, hit: Hit, stmt: Stmt | None = None) -> Finding:
    """The finding for `hit`, located by line and column (and the statement's last line)."""
    info = RULES[hit.rule]
    line, col = sql.pos(hit.offset)
    end_line = sql.pos(stmt.end)[0] if stmt is not None else line
    return Finding(hit.rule, hit.severity or info.severity, sql.display, line, col, hit.message, info.why, info.fix,
                   hit.rewrite, sql.line_text(line), max(end_line, line))
