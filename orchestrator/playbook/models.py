"""Validated playbook models. Step configs live with their step kinds (orchestrator/steps/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orchestrator.adapters.cli_profile import DEFAULT_API_URL

DEFAULT_FUNCTIONS_URL = "https://{ref}.supabase.co/functions/v1"
PROJECT_REF_PATTERN = r"^[a-z]{20}$"
ENV_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"


class StrictModel(BaseModel):
    """Unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Environment(StrictModel):
    project_ref: Annotated[str, Field(pattern=PROJECT_REF_PATTERN,
                                      description="20 lowercase letters (Project Settings > General)")]
    db_url: str | None = Field(None, description="migrations and SQL checks go to this Postgres URL")
    api_url: str = Field(DEFAULT_API_URL, description="Management API base URL")
    functions_url: str = Field(DEFAULT_FUNCTIONS_URL, description="where smoke calls go; {ref} is replaced")
    requires_approval: bool = Field(False, description="a human (or --approve) must confirm first")
    requires_passed: list[Annotated[str, Field(pattern=ENV_NAME_PATTERN)]] = Field(
        default_factory=list, description="environments where this same release (commit, migrations, function "
        "inputs) must have run successfully first, as their own databases record it")
    access_token: str | None = Field(
        None, repr=False, description="Management API token for this environment, as ${VARIABLE} "
        "(never the token itself); default: SUPABASE_ACCESS_TOKEN")

    @field_validator("db_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgres://", "postgresql://")):  # "" (`${VAR:-}` unset): none
            raise ValueError("db_url must start with postgresql:// or postgres://")
        return value or None

    @field_validator("access_token")
    @classmethod
    def _empty_token(cls, value: str | None) -> str | None:
        return value or None  # `${X:-}` left empty: fall back to SUPABASE_ACCESS_TOKEN

    @field_validator("api_url", "functions_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    def functions_base(self) -> str:
        return self.functions_url.replace("{ref}", self.project_ref)


class Notify(StrictModel):
    webhook: str = Field(description="URL that receives a JSON POST per event (Slack-compatible `text`), as ${VAR}")

    @field_validator("webhook")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class PlaybookModel(StrictModel):
    """The top level. `steps` entries are validated one by one against the step registry."""

    version: Literal[1] = Field(description="format version; only 1 exists")
    name: Annotated[str, Field(min_length=1)]
    project_dir: str | None = Field(None, description="folder holding supabase/, relative to the playbook")
    environments: Annotated[dict[Annotated[str, Field(pattern=ENV_NAME_PATTERN)], Environment],
                            Field(min_length=1)]
    steps: Annotated[list[Any], Field(min_length=1)]
    notify: Notify | None = Field(None, description="events of the run (approval needed, failure, rollback, "
                                                    "end) posted to a webhook; a failed post never fails the release")


@dataclass(frozen=True)
class ProjectInfo:
    """The project on disk a playbook points at."""

    root: Path

    @property
    def supabase_dir(self) -> Path:
        return self.root / "supabase"

    @property
    def migrations_dir(self) -> Path:
        return self.supabase_dir / "migrations"

    @property
    def functions_dir(self) -> Path:
        return self.supabase_dir / "functions"

    def function_names(self) -> list[str]:
        if not self.functions_dir.is_dir():
            return []
        return sorted(p.name for p in self.functions_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))

    def migration_files(self) -> list[Path]:
        return sorted(self.migrations_dir.glob("*.sql")) if self.migrations_dir.is_dir() else []


@dataclass(frozen=True)
class StepSpec:
    index: int
    kind: str
    name: str
    config: Any
    line: int | None

    @property
    def label(self) -> str:
        return self.name or self.kind


@dataclass(frozen=True)
class Playbook:
    path: Path
    sha256: str
    model: PlaybookModel
    steps: tuple[StepSpec, ...]
    project: ProjectInfo
    token_vars: Mapping[str, str] = field(default_factory=dict)  # environment -> variable its token is read from

    @property
    def name(self) -> str:
        return self.model.name

    def environment(self, name: str) -> Environment:
        return self.model.environments[name]
