"""Lint settings from `[tool.orchestrator.lint]` in pyproject.toml or a playbook's `lint:` step.

    [tool.orchestrator.lint]
    disable = ["prefer-text-field"]             # rule ids turned off
    severity = {ban-drop-column = "warning"}    # per-rule severity overrides
    exposed_schemas = ["public"]                # schemas the Data API serves (RLS rules)
    pg_version = 15                             # target Postgres major version
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.errors import InputError
from orchestrator.lint.model import Severity


class LintConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    disable: tuple[str, ...] = ()
    severity: dict[str, Severity] = Field(default_factory=dict)
    exposed_schemas: tuple[str, ...] = ("public",)
    pg_version: int = Field(default=15, ge=9, le=30)

    @classmethod
    def from_pyproject(cls, path: Path) -> LintConfig:
        """Read `[tool.orchestrator.lint]`; a missing file or table gives the defaults."""
        if not path.is_file():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML: {exc}") from exc
        table = data.get("tool", {}).get("orchestrator", {}).get("lint", {})
        return cls.from_mapping(table, where=f"{path}: [tool.orchestrator.lint]")

    @classmethod
    def from_mapping(cls, table: dict[str, Any], where: str = "lint settings") -> LintConfig:
        """Build from a dict with keys spelled either `exposed_schemas` or `exposed-schemas`."""
        clean = {str(k).replace("-", "_"): v for k, v in table.items()}
        try:
            return cls.model_validate(clean)
        except ValidationError as exc:
            raise InputError(f"{where}: {_first_error(exc)}") from exc

    def merged(self, overrides: dict[str, Any]) -> LintConfig:
        """These settings with a playbook step's overrides on top (severity maps are merged)."""
        data = self.model_dump()
        for key, value in overrides.items():
            key = key.replace("-", "_")
            data[key] = {**data["severity"], **value} if key == "severity" else value
        return LintConfig.from_mapping(data, where="lint step")

    def severity_of(self, rule_id: str, default: Severity) -> Severity | None:
        """The effective severity, or None when the rule is disabled."""
        if rule_id in self.disable:
            return None
        return self.severity.get(rule_id, default)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else str(err["msg"])
