"""`preflight`: refuse to start from a dirty tree, the wrong branch, an old CLI or without a token."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.errors import InputError, StepFailed
from orchestrator.playbook.models import Boolean
from orchestrator.steps.base import NoStaticChecks, StepConfig, StepOutcome

_VERSION = r"^[0-9]+\.[0-9]+\.[0-9]+$"  # [0-9], not \d: Python's \d also takes other scripts' digits


CLI_KINDS = frozenset({"migrations", "functions"})  # steps that spawn the supabase CLI


class PreflightConfig(StepConfig):
    """Refuse to start from a dirty tree, the wrong branch, an old supabase CLI or without a token."""

    clean_git: Boolean = Field(True, description="the working tree has no uncommitted changes")
    branch: str | None = Field(None, description="the branch that must be checked out")
    min_cli_version: str | None = Field(None, pattern=_VERSION, description="the oldest supabase CLI accepted, "
                                                                            "e.g. 2.100.0")
    require_token: Boolean = Field(True, description="SUPABASE_ACCESS_TOKEN must be set and accepted "
                                                     "when the environment talks to the Management API")


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def needs_api(ctx: StepContext) -> bool:
    """Everything but db_url-only migrations and SQL goes through the Management API or hosted CLI."""
    return not ctx.env.db_url or any(s.kind not in {"migrations", "verify", "pause", "preflight", "lint"}
                                     for s in ctx.playbook.steps)


# Written by the orchestrator and by the supabase CLI itself (`supabase init` git-ignores them).
_STATE_DIRS = (".orchestrator/", "supabase/.temp/", "supabase/.branches/")


def _cli_state(path: str) -> bool:
    return any(path.startswith(d) or f"/{d}" in path for d in _STATE_DIRS)


class PreflightStep(NoStaticChecks):
    kind: ClassVar[str] = "preflight"
    config_model: ClassVar[type[StepConfig]] = PreflightConfig


    def plan(self, config: PreflightConfig, ctx: StepContext) -> list[str]:
        return [f"check: {c}" for c in self._checks(config, ctx)]

    def _checks(self, config: PreflightConfig, ctx: StepContext) -> list[str]:
        checks = ["clean git tree"] if config.clean_git else []
        checks += [f"on branch {config.branch}"] if config.branch else []
        checks += [f"supabase CLI >= {config.min_cli_version}"] if config.min_cli_version else []
        return checks + (["access token accepted by the API"] if config.require_token and needs_api(ctx) else [])

    def run(self, config: PreflightConfig, ctx: StepContext) -> StepOutcome:
        problems = self._git_problems(config, ctx) + self._cli_problems(config, ctx)
        if config.require_token and needs_api(ctx):
            problems += self._token_problems(ctx)
        if problems:
            raise StepFailed("preflight failed:\n  " + "\n  ".join(problems))
        for check in self._checks(config, ctx):
            ctx.ui.ok(check)
        return StepOutcome("ok", "all checks passed", {"checks": self._checks(config, ctx)})

    def _git_problems(self, config: PreflightConfig, ctx: StepContext) -> list[str]:
        problems = []
        if config.clean_git:
            # The project's folder only: in a monorepo, other apps' edits do not change this release.
            scope = [ctx.project_prefix()] if ctx.project_prefix() else []
            dirty = [p for p in ctx.git.dirty_paths(scope) if not _cli_state(p)]
            if dirty:
                shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
                problems.append(f"uncommitted changes ({shown}): commit or stash them, or set clean_git: false")
        branch = ctx.git.current_branch() if config.branch else None
        if config.branch and branch != config.branch:
            problems.append(f"on branch {branch or '(detached HEAD)'}, playbook wants {config.branch}: "
                            f"git switch {config.branch}")
        return problems

    def _cli_problems(self, config: PreflightConfig, ctx: StepContext) -> list[str]:
        """The supabase CLI is there and runs (when a step needs it), and is new enough."""
        needs_cli = any(spec.kind in CLI_KINDS for spec in ctx.playbook.steps)
        if not config.min_cli_version and not needs_cli:
            return []
        try:
            have = ctx.cli.version
        except InputError as exc:
            return [str(exc)]
        if not config.min_cli_version or have >= parse_version(config.min_cli_version):
            return []
        found = ".".join(map(str, have))
        return [(f"supabase CLI {found} is older than {config.min_cli_version}: run `orchestrator tools "
                 "install` or set SUPABASE_CLI")]

    def _token_problems(self, ctx: StepContext) -> list[str]:
        if not ctx.token:
            return [f"{ctx.token_source} is not set (needed for the Management API)"]
        try:
            ctx.api.get_project(ctx.env.project_ref)
        except (StepFailed, InputError) as exc:
            return [f"cannot reach project {ctx.env.project_ref} with the access token: {exc}"]
        return []
