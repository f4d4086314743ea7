"""Step kinds, registered by name. A new kind is one module plus one line here."""

from __future__ import annotations

from orchestrator.steps.base import StepKind
from orchestrator.steps.functions import FunctionsStep
from orchestrator.steps.lint import LintStep
from orchestrator.steps.migrations import MigrationsStep
from orchestrator.steps.pause import PauseStep
from orchestrator.steps.preflight import PreflightStep
from orchestrator.steps.verify import VerifyStep

REGISTRY: dict[str, StepKind] = {
    step.kind: step
    for step in (PreflightStep(), LintStep(), MigrationsStep(), VerifyStep(), FunctionsStep(), PauseStep())
}
