"""`secrets`: set Edge Function secrets before the functions that read them (the runbook's "secrets
before functions"). Values come from the process environment or --env-file, never the playbook;
they go to the guarded CLI through a 0600 env file (`secrets set --env-file`), never argv, and only
names are ever shown. A secret whose value is already set (its SHA-256 equals the digest the API
lists) is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, ClassVar

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.errors import InputError
from orchestrator.steps.base import NoStaticChecks, StepConfig, StepOutcome

NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class SecretsConfig(StepConfig):
    """Set Edge Function secrets (before the functions that read them); values are never shown."""

    from_env: Annotated[list[Annotated[str, Field(pattern=NAME)]], Field(min_length=1)] = Field(
        description="secret names; each value is read from the variable of the same name (process "
        "environment or --env-file)")


class SecretsStep(NoStaticChecks):
    kind: ClassVar[str] = "secrets"
    config_model: ClassVar[type[StepConfig]] = SecretsConfig

    def plan(self, config: SecretsConfig, ctx: StepContext) -> list[str]:
        changed, same = self._compare(config, ctx)
        return ([f"set {len(changed)} secret(s): {', '.join(changed)}"] if changed else ["no secret changes"]) + \
            ([f"unchanged: {', '.join(same)}"] if same else [])

    def run(self, config: SecretsConfig, ctx: StepContext) -> StepOutcome:
        if ctx.options.planned is not None:
            planned = ctx.options.planned.get("secrets") or {}
            now = {n: hashlib.sha256(v.encode()).hexdigest() for n, v in values_for(config, ctx.environ).items()}
            differ = sorted(n for n in now if planned.get(n) != now[n])
            if differ:
                raise InputError(f"secrets {', '.join(differ)}: the values differ from the release's (planned with "
                                 "other values); plan again")
        changed, same = self._compare(config, ctx)
        if same:
            ctx.ui.ok(f"unchanged, not set again: {', '.join(same)}")
        if changed:
            ctx.ui.line(f"setting {len(changed)} secret(s): {', '.join(changed)}")
            ctx.prompter.confirm(f"Set {', '.join(changed)} in {ctx.env_name}?", action="set secrets")
            ctx.cli.secrets_set(ctx.target(), {n: ctx.environ[n] for n in changed})
            ctx.ui.ok(f"set {', '.join(changed)}")
        ctx.journal.write("secrets", env=ctx.env_name, set=changed, unchanged=same)
        return StepOutcome("ok", f"{len(changed)} set, {len(same)} unchanged", {"set": changed, "unchanged": same})

    def _compare(self, config: SecretsConfig, ctx: StepContext) -> tuple[list[str], list[str]]:
        values = values_for(config, ctx.environ)
        ctx.redactor.add(*values.values())  # secrets from the moment they are read
        digests = ctx.api.secret_digests(ctx.env.project_ref)
        changed = [n for n, v in values.items() if digests.get(n) != hashlib.sha256(v.encode()).hexdigest()]
        return changed, [n for n in values if n not in changed]


def values_for(config: SecretsConfig, env: Mapping[str, str]) -> dict[str, str]:
    """The values to set; a missing or empty variable, or a reserved name, is exit 2."""
    problems = [f"{n}: names starting with SUPABASE_ are reserved by the platform" for n in config.from_env
                if n.upper().startswith("SUPABASE_")]
    problems += [f"{n}: not set in the environment or --env-file" for n in config.from_env
                 if not env.get(n) and not n.upper().startswith("SUPABASE_")]
    if problems:
        raise InputError("secrets: " + "; ".join(problems))
    return {n: str(env[n]) for n in config.from_env}
