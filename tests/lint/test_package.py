"""The package's public functions stay functions whatever submodules get imported, and in any order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import orchestrator.lint
from orchestrator.lint import LintReport, lint_paths, render, rules

SUBMODULES = ["orchestrator.lint.output", "orchestrator.lint.engine", "orchestrator.lint.rules",
              "orchestrator.lint.rules.locks", "orchestrator.lint.analyze", "orchestrator.lint.sqlfile"]


def test_render_and_rules_stay_callable_after_their_modules_are_loaded(tmp_path: Path) -> None:
    (tmp_path / "20240101000000_a.sql").write_text("drop table t;\n")
    report = lint_paths([tmp_path])
    assert "ban-drop-table" in render(report, "text")  # loads the renderers' module
    assert "ban-drop-table" in rules()
    # a caller importing the names now (as the lint step does lazily) still gets the functions
    assert callable(orchestrator.lint.render) and callable(orchestrator.lint.rules)
    assert orchestrator.lint.render(LintReport(()), "json").startswith("{")
    assert "ban-drop-table" in orchestrator.lint.rules()


@pytest.mark.parametrize("first", SUBMODULES)
def test_importing_a_submodule_first_does_not_shadow_the_functions(first: str) -> None:
    code = (f"import {first}\nfrom orchestrator.lint import LintReport, render, rules\n"
            "assert 'ban-drop-table' in rules()\nprint(render(LintReport(()), 'text'), end='')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "0 file(s) linted: no findings\n"
