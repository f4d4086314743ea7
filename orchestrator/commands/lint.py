"""`orchestrator lint [PATH ...]`: lint migration files (or SQL from stdin) and print the report.

pglast is imported lazily (through `orchestrator.lint`'s engine) so `orchestrator --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from pathlib import Path
from typing import IO, TYPE_CHECKING

from orchestrator.errors import InputError
from orchestrator.lint import LintConfig, LintReport, Text, changed_since, lint_paths, render
from orchestrator.lint.sources import among_history, is_migrations_folder

if TYPE_CHECKING:
    from orchestrator.console import Console  # rich costs ~30 ms: only when printing

FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("error", "warning", "never")
FROM_REPO_ROOT = ("github", "sarif")  # GitHub resolves annotation and code-scanning paths from the checkout's root
STDIN_PATH = Path("-")

Scope = tuple[list[Path], Collection[Path] | None, Text | None]  # paths to read, files to report, stdin


def lint(paths: list[Path], *, fmt: str = "text", since: str | None = None, config: LintConfig | None = None,
         project_dir: Path = Path("."), fail_on: str = "error", console: Console | None = None,
         stdin_filename: str | None = None, stdin: IO[bytes] | None = None) -> int:
    """Lint `paths` (default: the project's supabase/migrations; `-`: SQL read from `stdin`, named
    `stdin_filename`) and print the report in `fmt`.

    Exit code: 0 clean, 1 findings at or above `fail_on`, 2 bad input (missing paths, bad
    settings or ref, SQL that does not parse).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown lint format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fail_on not in FAIL_ON:
        raise InputError(f"unknown fail_on {fail_on!r}; use one of {', '.join(FAIL_ON)}")
    scope = _scope(paths, since, project_dir, stdin_filename, stdin)
    read, only, text = _absolute(scope) if fmt in FROM_REPO_ROOT else scope
    report = lint_paths(read, config or LintConfig.for_project(project_dir), only=only,
                        root=report_root(fmt, project_dir), text=text)
    if console is None:
        from orchestrator.console import Console

        console = Console()
    console.plain(render(report, fmt))
    return exit_code(report, fail_on)


def exit_code(report: LintReport, fail_on: str) -> int:
    if any(f.rule == "syntax-error" for f in report.findings):
        return 2
    return report.exit_code(fail_on)


def report_root(fmt: str, project_dir: Path) -> Path:
    """What report paths are relative to: for GitHub annotations and SARIF, the root of the git
    repository holding the project (the current folder outside one); for people, the current folder."""
    if fmt not in FROM_REPO_ROOT:
        return Path.cwd()
    from orchestrator.adapters.git import Git

    try:
        return Git.root(project_dir)
    except InputError:  # not in a repository, or no git
        return Path.cwd()


def _scope(paths: list[Path], since: str | None, project_dir: Path, stdin_filename: str | None,
           stdin: IO[bytes] | None) -> Scope:
    if STDIN_PATH in paths:
        if len(paths) > 1:
            raise InputError("`-` (SQL from stdin) cannot be mixed with other paths: lint them in a run of their own")
        if since:
            raise InputError("--since does not apply to SQL read from stdin (`-`)")
        return _stdin_scope((stdin or sys.stdin.buffer).read(), stdin_filename, project_dir)
    if stdin_filename is not None:
        raise InputError("--stdin-filename names SQL read from stdin: pass `-` as the path")
    read, named = among_history(paths or [_default_folder(project_dir)])
    only: Collection[Path] | None = named
    if since:
        changed = changed_since(since, [p.absolute() for p in read], project_dir)
        only = changed if named is None else [p for p in named if p.resolve() in changed]
    return read, only, None


def _stdin_scope(data: bytes, name: str | None, project_dir: Path) -> Scope:
    """Unnamed: judged alone. Named into a supabase/migrations folder (a bare name: the project's, if
    it has one): in that file's place among the folder's files, the only pending one. Else alone."""
    if name is None:
        return [], None, Text(data)
    path = Path(name)
    if path.parent == Path(".") and is_migrations_folder(project_dir / "supabase" / "migrations"):
        path = project_dir / "supabase" / "migrations" / path
    if is_migrations_folder(path.parent):
        return [path.parent], [path], Text(data, path)
    return [], None, Text(data, path)


def _absolute(scope: Scope) -> Scope:
    """`scope` with absolute paths: a file outside the report's root is then shown absolute, not
    relative to a current folder the reader of the report does not know."""
    read, only, text = scope
    if text is not None and text.path is not None:
        text = Text(text.data, text.path.absolute())
    return [p.absolute() for p in read], None if only is None else [p.absolute() for p in only], text


def _default_folder(project_dir: Path) -> Path:
    folder = project_dir / "supabase" / "migrations"
    if not folder.is_dir():
        raise InputError(f"{folder}: no migrations folder; pass paths to lint or run from the project root")
    return folder
