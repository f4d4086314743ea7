"""The step-kind plugin protocol. A new step kind is one new module registered in steps/__init__.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from orchestrator.playbook.models import StrictModel

if TYPE_CHECKING:
    from orchestrator.context import StepContext
    from orchestrator.playbook.models import ProjectInfo

Status = Literal["ok", "failed", "skipped", "warning", "rolled_back"]


class StepConfig(StrictModel):
    """Base for every step's config model: unknown keys are errors."""


@dataclass(frozen=True)
class Problem:
    """A static problem found by `check`: `path` is relative to the step's config (e.g. "names[1]")."""

    path: str
    message: str


@dataclass
class StepOutcome:
    status: Status
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


class StepKind(Protocol):
    kind: ClassVar[str]
    config_model: ClassVar[type[StepConfig]]

    def check(self, config: Any, project: ProjectInfo) -> list[Problem]:
        """Static checks against the project on disk (no network); used by validate/plan/run."""
        ...

    def plan(self, config: Any, ctx: StepContext) -> list[str]:
        """Human lines saying what the step would do in this environment; changes nothing."""
        ...

    def run(self, config: Any, ctx: StepContext) -> StepOutcome:
        """Do the step. Raise StepFailed / StoppedByHuman (orchestrator.errors) to fail."""
        ...


class NoStaticChecks:
    """Mixin for step kinds whose config needs nothing from the project on disk."""

    def check(self, config: Any, project: ProjectInfo) -> list[Problem]:
        return []
