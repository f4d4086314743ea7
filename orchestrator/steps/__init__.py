"""Step kinds, registered by name. A new kind is one module plus one line here.

The registry imports a kind's module on first use, so validating a playbook only builds the
config models of the kinds it uses (start-up time: `orchestrator validate` is run in hooks).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from orchestrator.steps.base import StepKind

KINDS = {
    "preflight": "orchestrator.steps.preflight:PreflightStep",
    "lint": "orchestrator.steps.lint:LintStep",
    "rehearse": "orchestrator.steps.rehearse:RehearseStep",
    "migrations": "orchestrator.steps.migrations:MigrationsStep",
    "verify": "orchestrator.steps.verify:VerifyStep",
    "functions": "orchestrator.steps.functions:FunctionsStep",
    "pause": "orchestrator.steps.pause:PauseStep",
    "secrets": "orchestrator.steps.secrets:SecretsStep",
    "backup": "orchestrator.steps.backup:BackupStep",
}


class _Registry(Mapping[str, StepKind]):
    def __init__(self, kinds: dict[str, str]) -> None:
        self._paths = kinds
        self._loaded: dict[str, StepKind] = {}

    def __getitem__(self, kind: str) -> StepKind:
        if kind not in self._loaded:
            module, _, name = self._paths[kind].partition(":")
            self._loaded[kind] = getattr(importlib.import_module(module), name)()
        return self._loaded[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


REGISTRY: Mapping[str, StepKind] = _Registry(KINDS)
