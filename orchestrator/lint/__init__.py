"""Migration linter on pglast (libpg_query, the real PostgreSQL parser).

Public surface:

    lint_paths(paths, config, *, only=None, applied=None, root=None, text=None) -> LintReport
    render(report, fmt) -> str                  # text | json | github | sarif (paths from report.root)
    Text(data, path=None)                       # SQL from stdin, standing for the file `path`
    filter_pending(files, applied_versions) -> list[Path]
    changed_since(ref, paths, cwd) -> set[Path]
    LintConfig.from_pyproject(path), LintConfig.merged(overrides)
    AppliedMigration(version, statements)       # a row of supabase_migrations.schema_migrations
    rules() -> dict[str, RuleInfo]

Importing this package does not import pglast: `lint_paths`, `render` and `rules` load the
engine on first use, so `orchestrator --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.lint.config import LintConfig
from orchestrator.lint.model import STDIN, Finding, LintReport, RuleInfo, Severity, Text
from orchestrator.lint.sources import changed_since, expand, filter_pending

if TYPE_CHECKING:
    from orchestrator.lint.history import AppliedMigration


def lint_paths(paths: list[Path], config: LintConfig | None = None, **kwargs: Any) -> LintReport:
    """See `orchestrator.lint.engine.lint_paths`."""
    from orchestrator.lint.engine import lint_paths as run

    return run(paths, config, **kwargs)


# No submodule may share a name with these functions: importing `orchestrator.lint.X` sets the
# package attribute `X` to the submodule, replacing the function (hence `output.py`, not
# `render.py`; the `rules` package is imported above, before `rules()` is defined).
def render(report: LintReport, fmt: str) -> str:
    """See `orchestrator.lint.output.render`."""
    from orchestrator.lint.output import render as run

    return run(report, fmt)


def rules() -> dict[str, RuleInfo]:
    from orchestrator.lint.rules import load_rules

    return dict(load_rules())


def __getattr__(name: str) -> Any:
    if name == "AppliedMigration":
        from orchestrator.lint.history import AppliedMigration

        return AppliedMigration
    raise AttributeError(name)


__all__ = ["STDIN", "AppliedMigration", "Finding", "LintConfig", "LintReport", "RuleInfo", "Severity", "Text",
           "changed_since", "expand", "filter_pending", "lint_paths", "render", "rules"]
