"""Lint settings are checked by hand (no pydantic at lint start-up): wrong values are input errors."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from orchestrator.errors import InputError
from orchestrator.lint import LintConfig, Severity


@pytest.mark.parametrize(("table", "says"), [
    ({"pg_version": 8}, "pg_version"),
    ({"pg_version": True}, "pg_version"),
    ({"disable": "prefer-jsonb"}, "disable: expected a list of strings"),
    ({"exposed_schemas": [1]}, "exposed_schemas"),
    ({"severity": {"ban-truncate": "fatal"}}, "severity.ban-truncate"),
    ({"severity": ["ban-truncate"]}, "severity"),
    ({"exposed_schema": ["api"]}, "unknown setting 'exposed_schema'"),
])
def test_bad_values_name_the_setting(table: dict[str, Any], says: str) -> None:
    with pytest.raises(InputError, match=says):
        LintConfig.from_mapping(table, where="pyproject.toml: [tool.orchestrator.lint]")


def test_values_are_normalised_and_merged() -> None:
    cfg = LintConfig.from_mapping({"disable": ["a"], "exposed-schemas": ["public", "api"], "pg_version": "14",
                                   "severity": {"ban-truncate": "warning"}})
    assert cfg == LintConfig(("a",), {"ban-truncate": Severity.WARNING}, ("public", "api"), 14)
    merged = cfg.merged({"severity": {"ban-drop-table": "warning"}, "pg-version": 16})
    assert merged.severity == {"ban-truncate": Severity.WARNING, "ban-drop-table": Severity.WARNING}
    assert merged.pg_version == 16 and cfg.pg_version == 14
    assert pickle.loads(pickle.dumps(merged)) == merged  # settings travel to worker processes
