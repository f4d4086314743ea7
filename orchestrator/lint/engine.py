"""Lint a set of migration files: parse each once (in parallel for large sets), run the checkers,
then settle the conditions that need the whole set (tables created earlier, RLS enabled later).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.lint.config import LintConfig
from orchestrator.lint.history import AppliedMigration, check_history
from orchestrator.lint.model import Finding, LintReport
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
from orchestrator.lint.rules.files import check_names
from orchestrator.lint.rules.meta import SYNTAX, UNKNOWN_IGNORE
from orchestrator.lint.settle import FactIndex
from orchestrator.lint.sources import expand
from orchestrator.lint.sqlfile import SqlFile, Stmt, load

PARALLEL_FROM = 64  # files; below this a process pool costs more than it saves

load_rules()


@dataclass(frozen=True)
class FileResult:
    """What one worker found in one file, before set-wide conditions are settled."""

    path: Path
    findings: tuple[tuple[Finding, tuple[Unless, ...]], ...]
    events: tuple[tuple[str, str], ...]
    file_ignores: frozenset[str]


def lint_paths(paths: Sequence[Path], config: LintConfig | None = None, *,
               only: Collection[Path] | None = None, applied: Sequence[AppliedMigration] | None = None,
               now: datetime | None = None, root: Path | None = None, jobs: int | None = None) -> LintReport:
    """Lint `paths` (files or folders) as one ordered migration set.

    `only`: report findings for these files alone (pending ones, or changed since a ref) while
    every file still informs set-wide rules. `applied`: the environment's history, for the
    edited-migration and out-of-order checks.
    """
    cfg = config or LintConfig()
    _check_config(cfg)
    with _no_cyclic_gc():
        return _lint(paths, cfg, only, applied, now, root or Path.cwd(), jobs)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parse trees are many small acyclic dicts: cyclic GC passes over them cost ~25% of a run
    and free nothing (reference counting frees the trees)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lint(paths: Sequence[Path], cfg: LintConfig, only: Collection[Path] | None,
          applied: Sequence[AppliedMigration] | None, now: datetime | None, root: Path,
          jobs: int | None) -> LintReport:
    files = expand(paths)
    chosen = {_resolve(p) for p in only} if only is not None else {_resolve(p) for p in files}
    results = _analyze_all(files, cfg, root, jobs)
    index = FactIndex([r.events for r in results], [_resolve(r.path) in chosen for r in results])
    located = [f for i, r in enumerate(results) for f in _settle(r, i, index)]
    located += _set_findings(files, applied, now, root)
    kept = list(_apply_settings(located, results, chosen, cfg))
    shown = tuple(_display(p, root) for p in files if _resolve(p) in chosen)
    return LintReport(tuple(sorted(kept, key=Finding.sort_key)), shown)


@lru_cache(maxsize=8192)  # resolve() stats every path component; findings repeat paths
def _resolve(path: Path) -> Path:
    return path.resolve()


def _check_config(cfg: LintConfig) -> None:
    unknown = sorted((set(cfg.disable) | set(cfg.severity)) - set(RULES))
    if unknown:
        raise InputError(f"lint settings name unknown rule(s): {', '.join(unknown)}; see docs/lint-rules.md")


def _display(path: Path, root: Path) -> str:
    try:
        return str(_resolve(path).relative_to(_resolve(root)))
    except ValueError:
        return str(path)


# analysing files ---------------------------------------------------------------------------
def _analyze_all(files: list[Path], cfg: LintConfig, root: Path, jobs: int | None) -> list[FileResult]:
    jobs = jobs or os.cpu_count() or 1
    tasks = [(p, _display(p, root), cfg) for p in files]
    if jobs < 2 or len(files) < PARALLEL_FROM:
        return [analyze_file(*t) for t in tasks]
    gc.freeze()  # forked workers then leave the parent's objects alone
    chunk = max(1, len(tasks) // (jobs * 4))
    with ProcessPoolExecutor(jobs, mp_context=get_context("fork")) as pool:
        return list(pool.map(_analyze_task, tasks, chunksize=chunk))


def _analyze_task(task: tuple[Path, str, LintConfig]) -> FileResult:
    gc.disable()  # workers only build short-lived trees; cycle collection just costs time
    return analyze_file(*task)


Pending = tuple[Hit, "Stmt | None", tuple[Unless, ...]]


def analyze_file(path: Path, display: str, cfg: LintConfig) -> FileResult:
    """Parse one file and run every statement and file checker on it."""
    sql = load(path, display)
    ctx = FileCtx(sql, cfg)
    pending: list[Pending] = [(Hit(SYNTAX, e.offset, e.message), None, ()) for e in sql.errors]
    for stmt in sql.stmts:
        checks = BY_KIND.get(stmt.kind)
        if checks:
            pending += _stmt_hits(stmt, checks, ctx)
        if stmt.runs_now:
            for record in FACTS.get(stmt.kind, ()):
                record(stmt, ctx)
    by_start = {s.start: s for s in sql.stmts if s.parent is None}
    for check in FILE_CHECKS:
        for hit in check(ctx):
            owner = by_start.get(hit.offset)
            if owner is None or hit.rule not in owner.ignores:
                pending.append((hit, owner, hit.unless))
    pending += [(h, None, ()) for h in _unknown_ignores(sql)]
    here = _FileFacts(ctx.events)
    out = tuple((_finding(sql, h, s), u) for h, s, u in pending if not any(here.holds(c) for c in u))
    return FileResult(path, out, tuple(ctx.events), frozenset(sql.file_ignores))


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


def _finding(sql: SqlFile, hit: Hit, stmt: Stmt | None = None) -> Finding:
    info = RULES[hit.rule]
    line, col = sql.pos(hit.offset)
    end_line = sql.pos(stmt.end)[0] if stmt is not None else line
    return Finding(hit.rule, info.severity, sql.display, line, col, hit.message, info.why, info.fix,
                   hit.rewrite, sql.line_text(line), max(end_line, line))


# settling set-wide conditions --------------------------------------------------------------
Located = tuple[Path, Finding]


def _settle(result: FileResult, idx: int, index: FactIndex) -> Iterator[Located]:
    for finding, unless in result.findings:
        if not any(index.holds(u, idx) for u in unless):
            yield result.path, finding


def _set_findings(files: list[Path], applied: Sequence[AppliedMigration] | None,
                  now: datetime | None, root: Path) -> list[Located]:
    hits = list(check_names(files, now))
    if applied is not None:
        hits += list(check_history(files, applied))
    return [(path, _finding(SqlFile(path, _display(path, root), path.read_bytes()), hit)) for path, hit in hits]


def _apply_settings(located: list[Located], results: list[FileResult], chosen: set[Path],
                    cfg: LintConfig) -> Iterator[Finding]:
    """Keep findings of chosen files, minus file-level ignores and disabled rules, at configured severity."""
    ignores = {_resolve(r.path): r.file_ignores for r in results}
    for path, finding in located:
        resolved = _resolve(path)
        if resolved not in chosen or finding.rule in ignores.get(resolved, ()):
            continue
        severity = cfg.severity_of(finding.rule, finding.severity)
        if severity is not None:
            yield replace(finding, severity=severity)
