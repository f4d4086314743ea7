"""`pause`: stop for a human. Without a terminal and without --yes it fails at once (exit 4)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.durations import Duration, format_duration
from orchestrator.steps.base import NoStaticChecks, StepConfig, StepOutcome


class PauseConfig(StepConfig):
    """Stop for a human (without a terminal and without --yes the run fails at once)."""

    message: str = "Paused: check the environment, then continue"
    timeout: Duration | None = Field(None, description="how long to wait for an answer")
    on_timeout: Literal["abort", "continue"] = "abort"


class PauseStep(NoStaticChecks):
    kind: ClassVar[str] = "pause"
    config_model: ClassVar[type[StepConfig]] = PauseConfig


    def plan(self, config: PauseConfig, ctx: StepContext) -> list[str]:
        limit = f", {config.on_timeout} after {format_duration(config.timeout)}" if config.timeout else ""
        return [f"pause for a human: {config.message}{limit}"]

    def run(self, config: PauseConfig, ctx: StepContext) -> StepOutcome:
        ctx.prompter.pause(config.message, timeout=config.timeout, on_timeout=config.on_timeout)
        return StepOutcome("ok", "continued")
