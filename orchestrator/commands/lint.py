"""`orchestrator lint [PATH ...]`: lint migration files and print the report.

pglast is imported lazily (through `orchestrator.lint`'s engine) so `orchestrator --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.errors import InputError
from orchestrator.lint import LintConfig, LintReport, changed_since, lint_paths, render

if TYPE_CHECKING:
    from orchestrator.console import Console  # rich costs ~30 ms: only when printing

FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("error", "warning", "never")


def lint(paths: list[Path], *, fmt: str = "text", since: str | None = None, config: LintConfig | None = None,
         project_dir: Path = Path("."), fail_on: str = "error", console: Console | None = None) -> int:
    """Lint `paths` (default: the project's supabase/migrations) and print the report in `fmt`.

    Exit code: 0 clean, 1 findings at or above `fail_on`, 2 bad input (missing paths, bad
    settings or ref, SQL that does not parse).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown lint format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fail_on not in FAIL_ON:
        raise InputError(f"unknown fail_on {fail_on!r}; use one of {', '.join(FAIL_ON)}")
    targets = paths or [_default_folder(project_dir)]
    cfg = config or LintConfig.for_project(project_dir)
    only = changed_since(since, targets, project_dir) if since else None
    report = lint_paths(targets, cfg, only=only, root=Path.cwd())
    if console is None:
        from orchestrator.console import Console

        console = Console()
    console.plain(render(report, fmt))
    return exit_code(report, fail_on)


def exit_code(report: LintReport, fail_on: str) -> int:
    if any(f.rule == "syntax-error" for f in report.findings):
        return 2
    return report.exit_code(fail_on)


def _default_folder(project_dir: Path) -> Path:
    folder = project_dir / "supabase" / "migrations"
    if not folder.is_dir():
        raise InputError(f"{folder}: no migrations folder; pass paths to lint or run from the project root")
    return folder
