"""Lint settings from `[tool.orchestrator.lint]` in pyproject.toml or a playbook's `lint:` step.

    [tool.orchestrator.lint]
    disable = ["prefer-text-field"]             # rule ids turned off
    severity = {ban-drop-column = "warning"}    # per-rule severity overrides
    exposed_schemas = ["public"]                # schemas the Data API serves (RLS rules)
    pg_version = 15                             # target Postgres major version

A plain dataclass checked by hand rather than a pydantic model: importing pydantic took ~130 ms,
a tenth of a whole lint run over 2,000 migrations (benchmarks/lint_bench.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError
from orchestrator.lint.model import Severity

PG_VERSIONS = range(9, 31)


@dataclass(frozen=True)
class LintConfig:
    disable: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    exposed_schemas: tuple[str, ...] = ("public",)
    pg_version: int = 15

    def __post_init__(self) -> None:
        """Check and normalise values (lists become tuples, severity strings become `Severity`)."""
        object.__setattr__(self, "disable", _names("disable", self.disable))
        object.__setattr__(self, "exposed_schemas", _names("exposed_schemas", self.exposed_schemas))
        object.__setattr__(self, "severity", _severities(self.severity))
        object.__setattr__(self, "pg_version", _pg_version(self.pg_version))

    @classmethod
    def for_project(cls, root: Path) -> LintConfig:
        """pyproject.toml's `[tool.orchestrator.lint]`; without `exposed_schemas` there, the schemas
        the project's Data API serves: `[api] schemas` of supabase/config.toml (default public)."""
        cfg = cls.from_pyproject(root / "pyproject.toml")
        if _pyproject_sets(root / "pyproject.toml", "exposed_schemas"):
            return cfg
        schemas = _config_toml_schemas(root / "supabase" / "config.toml")
        return replace(cfg, exposed_schemas=schemas) if schemas else cfg

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
    def from_mapping(cls, table: Mapping[str, Any], where: str = "lint settings") -> LintConfig:
        """Build from a dict with keys spelled either `exposed_schemas` or `exposed-schemas`."""
        clean = {str(k).replace("-", "_"): v for k, v in table.items()}
        unknown = sorted(set(clean) - set(cls.__dataclass_fields__))
        if unknown:
            raise InputError(f"{where}: unknown setting {unknown[0]!r} "
                             f"(known: {', '.join(cls.__dataclass_fields__)})")
        try:
            return cls(**clean)
        except _BadValue as exc:
            raise InputError(f"{where}: {exc}") from None

    def merged(self, overrides: Mapping[str, Any]) -> LintConfig:
        """These settings with a playbook step's overrides on top (severity maps are merged)."""
        data = asdict(self)
        for key, value in overrides.items():
            key = key.replace("-", "_")
            data[key] = {**data["severity"], **value} if key == "severity" and isinstance(value, Mapping) else value
        return LintConfig.from_mapping(data, where="lint step")

    def severity_of(self, rule_id: str, default: Severity) -> Severity | None:
        """The effective severity, or None when the rule is disabled."""
        if rule_id in self.disable:
            return None
        return self.severity.get(rule_id, default)


def _pyproject_sets(path: Path, key: str) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, tomllib.TOMLDecodeError):
        return False
    table = data.get("tool", {}).get("orchestrator", {}).get("lint", {})
    return key in table or key.replace("_", "-") in table


def _config_toml_schemas(path: Path) -> tuple[str, ...]:
    """`[api] schemas` of supabase/config.toml; () when absent or unreadable (the CLI reports those)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    api = data.get("api")
    schemas = api.get("schemas") if isinstance(api, dict) else None
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        return ()
    return tuple(s for s in schemas if s != "graphql_public")  # it exposes one function, no tables


class _BadValue(ValueError):
    """A setting of the wrong type or out of range; `from_mapping` says where it came from."""


def _names(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise _BadValue(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


def _severities(value: object) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        raise _BadValue(f"severity: expected a table of rule = \"error\" | \"warning\", got {value!r}")
    out = {}
    for rule, level in value.items():
        try:
            out[str(rule)] = Severity(level)
        except ValueError:
            raise _BadValue(f"severity.{rule}: expected 'error' or 'warning', got {level!r}") from None
    return out


def _pg_version(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in PG_VERSIONS:
        raise _BadValue(f"pg_version: expected a Postgres major version from {PG_VERSIONS.start} "
                        f"to {PG_VERSIONS.stop - 1}, got {value!r}")
    return value
