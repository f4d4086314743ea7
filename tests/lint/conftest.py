from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.lint import LintReport, lint_paths

V1, V2, V3 = "20240101000000", "20240102000000", "20240103000000"


@pytest.fixture
def migrations(tmp_path: Path) -> Callable[..., Path]:
    """Write files into a fresh supabase/migrations folder: migrations(("name.sql", "sql"), ...)."""
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)

    def write(*files: tuple[str, str]) -> Path:
        for name, sql in files:
            (folder / name).write_text(sql, encoding="utf-8")
        return folder
    return write


def lint_sql(folder: Path, sql: str, name: str = f"{V2}_change.sql", **kwargs: object) -> LintReport:
    (folder / name).write_text(sql, encoding="utf-8")
    return lint_paths([folder], **kwargs)  # type: ignore[arg-type]


def hits(report: LintReport, rule: str) -> list[int]:
    return [f.line for f in report.findings if f.rule == rule]
