"""On a shared sample of unsafe migrations, we find everything squawk finds for the rules both have.

Runs squawk (`squawk-cli` from PyPI, in the test extra; the venv's copy is found without PATH).

`require-lock-timeout` is left out on purpose: squawk also asks for it before statements on a
table created in the same file and before CREATE INDEX CONCURRENTLY (which blocks no reads or
writes); we don't.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.lint import lint_paths

SAMPLE = Path(__file__).parent / "unsafe"
SQUAWK_TO_OURS = {
    "require-concurrent-index-creation": "require-concurrent-index",
    "require-concurrent-index-deletion": "require-concurrent-index-drop",
    "adding-required-field": "adding-required-column",
    "adding-field-with-default": "volatile-default",
    "adding-not-nullable-field": "set-not-null",
    # squawk also asks NOT VALID of UNIQUE, which cannot be NOT VALID; we report the right fix there
    "constraint-missing-not-valid": "constraint-missing-not-valid unique-on-existing-table",
    "adding-foreign-key-constraint": "constraint-missing-not-valid",
    "disallowed-unique-constraint": "unique-on-existing-table",
    "changing-column-type": "changing-column-type",
    "ban-drop-table": "ban-drop-table",
    "ban-drop-column": "ban-drop-column",
    "ban-drop-database": "ban-drop-database",
    "ban-truncate-cascade": "ban-truncate-cascade",
    "renaming-table": "renaming-table",
    "renaming-column": "renaming-column",
    "ban-drop-not-null": "ban-drop-not-null",
    "prefer-timestamp-tz": "prefer-timestamptz",
    "prefer-text-field": "prefer-text-field",
    "ban-char-field": "ban-char-field",
    "ban-uncommitted-transaction": "uncommitted-transaction",
    "transaction-nesting": "explicit-transaction",
    "ban-concurrent-index-creation-in-transaction": "concurrently-with-other-statements",
}


SQUAWK = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(SQUAWK is None, reason="squawk not installed (pip install squawk-cli)")
def test_every_squawk_finding_on_shared_rules_is_ours_too() -> None:
    files = sorted(SAMPLE.glob("*.sql"))
    done = subprocess.run([str(SQUAWK), "--reporter", "json", *map(str, files)], capture_output=True, text=True, check=False,
                          timeout=120)
    theirs = [v for v in json.loads(done.stdout) if v["rule_name"] in SQUAWK_TO_OURS]
    assert len(theirs) >= 20, "the sample should exercise most shared rules"
    ours = lint_paths([SAMPLE]).findings
    missing = []
    for v in theirs:
        line = v["line"] + 1  # squawk counts lines from 0
        name = Path(v["file"]).name
        if not any(Path(f.path).name == name and f.rule in SQUAWK_TO_OURS[v["rule_name"]].split()
                   and f.line <= line <= max(f.end_line, f.line) for f in ours):
            missing.append((name, line, v["rule_name"]))
    assert not missing
