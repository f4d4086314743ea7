"""Validated playbook models. Step configs live with their step kinds (orchestrator/steps/).

Every field's JSON Schema (`orchestrator schema`) says what the field accepts; where a validator
checks more than pydantic's own schema shows, the type carries that check's schema too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from orchestrator.adapters.cli_profile import DEFAULT_API_URL
from orchestrator.playbook.source import VARIABLE_PATTERN, Substituted

DEFAULT_FUNCTIONS_URL = "https://{ref}.supabase.co/functions/v1"
PROJECT_REF_PATTERN = r"^[a-z]{20}$"
ENV_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"


class StrictModel(BaseModel):
    """Unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# pydantic's lax mode would take `"true"` or `1` for a boolean and `"5"` or `true` for an integer;
# the JSON Schema (and so an editor) refuses those, and so do we. Text that came from a `${VAR}` is
# always a string, though, so that is parsed (`requires_approval: ${NEEDS_APPROVAL:-false}`).
def _written_bool(value: Any) -> Any:
    if isinstance(value, (str, int, float)) and not isinstance(value, (bool, Substituted)):
        raise ValueError(f"expected a boolean, true or false (no quotes), got {_shown(value)}")  # noqa: TRY004
    return value


def _written_int(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, str) and not isinstance(value, Substituted)):
        raise ValueError(f"expected a whole number (no quotes), got {_shown(value)}")  # noqa: TRY004
    return value  # 5.0 passes as 5: JSON Schema counts it as an integer too


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)[:40]


Boolean = Annotated[bool, BeforeValidator(_written_bool)]
# After the bounds, as in `Annotated[int, Field(ge=0), INTEGER_AS_WRITTEN]`: bounds given after a
# validator end up in the JSON Schema as "ge"/"le", which no validator reads, instead of minimum/maximum.
INTEGER_AS_WRITTEN = BeforeValidator(_written_int)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url), WithJsonSchema({"type": "string", "pattern": "^https?://"})]


class Environment(StrictModel):
    """One place a release goes to: a Supabase project and how to reach it."""

    project_ref: Annotated[str, Field(pattern=PROJECT_REF_PATTERN,
                                      description="20 lowercase letters (Project Settings > General)")]
    db_url: Annotated[str, WithJsonSchema({"type": "string", "pattern": "^(postgres(ql)?://|$)"})] | None = Field(
        None, description="migrations and SQL checks go to this Postgres URL (postgresql://...); empty: none")
    api_url: HttpUrl = Field(DEFAULT_API_URL, description="Management API base URL")
    functions_url: HttpUrl = Field(DEFAULT_FUNCTIONS_URL, description="where smoke calls go; {ref} is replaced")
    requires_approval: Boolean = Field(False, description="a human (or --approve) must confirm first")
    requires_passed: list[Annotated[str, Field(pattern=ENV_NAME_PATTERN)]] = Field(
        default_factory=list, description="environments where this same release (commit, migrations, function "
        "inputs) must have run successfully first, as their own databases record it")
    access_token: Annotated[str, WithJsonSchema({"type": "string", "pattern": VARIABLE_PATTERN})] | None = Field(
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
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def functions_base(self) -> str:
        return self.functions_url.replace("{ref}", self.project_ref)


class Notify(StrictModel):
    """Where the run's events go."""

    webhook: HttpUrl = Field(description="URL that receives a JSON POST per event (Slack-compatible `text`), "
                                         "as ${VAR}")


class PlaybookModel(StrictModel):
    """A release, step by step, for one or more environments."""

    version: Annotated[Literal[1], INTEGER_AS_WRITTEN] = Field(
        description="format version; only 1 exists")
    name: Annotated[str, Field(min_length=1, description="the release's name, shown in notifications")]
    project_dir: str | None = Field(None, description="folder holding supabase/, relative to the playbook; "
                                                      "default: the git root")
    environments: Annotated[dict[Annotated[str, Field(pattern=ENV_NAME_PATTERN)], Environment],
                            Field(min_length=1, json_schema_extra={"additionalProperties": False},
                                  description="the places this release can go, by name (`run --env NAME`)")]
    steps: Annotated[list[Any], Field(min_length=1, description="run in order; each step has exactly one "
                                                                "action key, plus an optional name")]
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
