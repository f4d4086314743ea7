"""Lint a set of migration files: analyse each (in worker processes for large sets), then settle
the conditions that need the whole set (tables created earlier, RLS enabled later).
"""

from __future__ import annotations

import gc
import io
import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.lint.analyze import FileResult, analyze_file, to_finding
from orchestrator.lint.config import LintConfig
from orchestrator.lint.history import AppliedMigration, check_history, read_sql
from orchestrator.lint.model import STDIN, Finding, LintReport, Text
from orchestrator.lint.rules import RULES
from orchestrator.lint.rules.files import check_names
from orchestrator.lint.settle import FactIndex
from orchestrator.lint.sources import expand
from orchestrator.lint.sqlfile import SqlFile

PARALLEL_FROM = 64  # files; below this a process pool costs more than it saves
CHUNKS_PER_JOB = 24  # small enough to even out workers slowed by other load, few enough to be cheap


def lint_paths(paths: Sequence[Path], config: LintConfig | None = None, *,
               only: Collection[Path] | None = None, applied: Sequence[AppliedMigration] | None = None,
               now: datetime | None = None, root: Path | None = None, jobs: int | None = None,
               text: Text | None = None) -> LintReport:
    """Lint `paths` (files or folders) as one ordered migration set.

    `only`: report findings for these files alone (pending ones, or changed since a ref) while
    every file still informs set-wide rules. `applied`: the environment's history, for the
    edited-migration and out-of-order checks. `text`: SQL standing for the file `text.path`
    (stdin); it joins the set in that file's place.
    """
    cfg = config or LintConfig()
    _check_config(cfg)
    _resolve.cache_clear()  # it holds relative paths: a run after a chdir must not reuse them
    with _no_cyclic_gc():
        return _lint(paths, cfg, only, applied, now, root or Path.cwd(), jobs, text)


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
          jobs: int | None, text: Text | None) -> LintReport:
    files, texts = _with_text(expand(paths), text)
    with _analyses(files, texts, cfg, root, jobs) as analysed:
        # the workers are busy: do the set-wide checks meanwhile
        set_wide = _set_findings(files, texts, applied, now, root)
        chosen = {_resolve(p) for p in only} if only is not None else {_resolve(p) for p in files}
        shown = tuple(_shown(p, root, texts.get(p)) for p in files if _resolve(p) in chosen)
        results = list(analysed)
    asked = {u.key for r in results for _, unless in r.findings for u in unless}
    # Which earlier files are pushed together with a file (their tables are new, empty): the files
    # asked about (pending ones, or changed since a ref); by default each file is judged alone, as
    # the pending migration it once was, against the populated tables of every earlier file.
    batch = [only is not None and _resolve(r.path) in chosen for r in results]
    index = FactIndex([r.events(asked) for r in results], batch)
    located = [f for i, r in enumerate(results) for f in _settle(r, i, index)] + set_wide
    kept = list(_apply_settings(located, results, chosen, cfg))
    return LintReport(tuple(sorted(kept, key=Finding.sort_key)), shown, root.absolute())


@lru_cache(maxsize=8192)
def _resolve(path: Path) -> Path:
    """`path.resolve()`, but a name that is not a symlink is just appended to its resolved folder:
    one lstat per file instead of one per path component."""
    if path.name in ("", "..") or path.is_symlink():
        return path.resolve()
    return _resolve(path.parent) / path.name


def _check_config(cfg: LintConfig) -> None:
    unknown = sorted((set(cfg.disable) | set(cfg.severity)) - set(RULES))
    if unknown:
        raise InputError(f"lint settings name unknown rule(s): {', '.join(unknown)}; see docs/lint-rules.md")


def _with_text(files: list[Path], text: Text | None) -> tuple[list[Path], dict[Path, Text]]:
    """`files` with `text` in its file's place (in name order), and the path it stands for."""
    if text is None:
        return files, {}
    own = text.path or Path(STDIN)
    files = [p for p in files if _resolve(p) != _resolve(own)] + [own]
    return sorted(files, key=lambda p: p.name), {own: text}


def _shown(path: Path, root: Path, text: Text | None) -> str:
    return STDIN if text is not None and text.path is None else _display(path, root)


def _display(path: Path, root: Path) -> str:
    """`path` relative to `root` when inside it (as `relative_to` would say, minus its cost), else as given."""
    resolved, base = str(_resolve(path)), str(_resolve(root))
    if resolved == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    return resolved[len(prefix):] if resolved.startswith(prefix) else str(path)


# analysing files ---------------------------------------------------------------------------
@contextmanager
def _analyses(files: list[Path], texts: dict[Path, Text], cfg: LintConfig, root: Path,
              jobs: int | None) -> Iterator[Iterator[FileResult]]:
    """The files' results in order, computed lazily (few files) or by worker processes started now."""
    jobs = jobs or os.cpu_count() or 1
    tasks = [(p, root, cfg, texts.get(p)) for p in files]
    if jobs < 2 or len(files) < PARALLEL_FROM:
        yield map(_analyze_task, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor  # ~10 ms of imports only large sets need
    from multiprocessing import get_context

    gc.freeze()  # forked workers then leave the parent's objects alone
    chunk = max(1, len(tasks) // (jobs * CHUNKS_PER_JOB))
    with ProcessPoolExecutor(jobs, mp_context=get_context("fork")) as pool:
        yield pool.map(_analyze_task, tasks, chunksize=chunk)


def _analyze_task(task: tuple[Path, Path, LintConfig, Text | None]) -> FileResult:
    path, root, cfg, text = task
    return analyze_file(path, _shown(path, root, text), cfg, None if text is None else text.data)


# settling set-wide conditions --------------------------------------------------------------
Located = tuple[Path, Finding]


def _settle(result: FileResult, idx: int, index: FactIndex) -> Iterator[Located]:
    for finding, unless in result.findings:
        if not any(index.holds(u, idx) for u in unless):
            yield result.path, finding


def _set_findings(files: list[Path], texts: dict[Path, Text], applied: Sequence[AppliedMigration] | None,
                  now: datetime | None, root: Path) -> list[Located]:
    unnamed = {p for p, t in texts.items() if t.path is None}
    hits = list(check_names([p for p in files if p not in unnamed], now))
    if applied is not None:
        hits += list(check_history(files, applied, lambda p: _decoded(texts[p].data) if p in texts else read_sql(p)))
    return [(path, to_finding(SqlFile(path, _shown(path, root, texts.get(path)), _bytes(path, texts)), hit))
            for path, hit in hits]


def _bytes(path: Path, texts: dict[Path, Text]) -> bytes:
    return texts[path].data if path in texts else path.read_bytes()


def _decoded(data: bytes) -> str:
    """`data` as `read_sql` would read it from a file (universal newlines)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace").read()


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
            yield finding if severity is finding.severity else replace(finding, severity=severity)
