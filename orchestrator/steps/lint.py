"""`lint`: lint the migrations pending for this environment before they are pushed.

Only pending files are reported (a history full of old CREATE INDEX statements is not news), but
every file informs the set-wide rules, and the applied history feeds the edited-migration check.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.errors import InputError, StepFailed
from orchestrator.lint.config import PG_VERSIONS
from orchestrator.playbook.models import INTEGER_AS_WRITTEN, ProjectInfo
from orchestrator.steps.base import Problem, StepConfig, StepOutcome
from orchestrator.steps.migrations import HISTORY_EXISTS_SQL

APPLIED_SQL = ("select version, coalesce(name, '') as name, coalesce(statements, '{}') as statements "
               "from supabase_migrations.schema_migrations order by version")


PgVersion = Annotated[int, Field(ge=PG_VERSIONS.start, le=PG_VERSIONS.stop - 1), INTEGER_AS_WRITTEN]


class LintStepConfig(StepConfig):
    """Lint the migrations pending for this environment before they are pushed (docs/lint-rules.md)."""

    fail_on: Literal["error", "warning", "never"] = Field("error", description="the lowest severity that "
                                                                               "fails the step")
    disable: list[str] = Field(default_factory=list, description="rule ids to turn off")
    severity: dict[str, Literal["error", "warning"]] = Field(default_factory=dict,
                                                            description="rule id: error or warning")
    exposed_schemas: list[str] | None = Field(None, description="schemas the REST API exposes")
    pg_version: PgVersion | None = Field(None, description="the Postgres major version the migrations run on")

    def overrides(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"fail_on"}, exclude_none=True)
        return {k: v for k, v in data.items() if v not in ([], {})}


class LintStep:
    kind: ClassVar[str] = "lint"
    config_model: ClassVar[type[StepConfig]] = LintStepConfig

    def check(self, config: LintStepConfig, project: ProjectInfo) -> list[Problem]:
        from orchestrator.lint import LintConfig

        try:
            LintConfig().merged(config.overrides())
        except InputError as exc:
            return [Problem("", str(exc))]
        return []

    def plan(self, config: LintStepConfig, ctx: StepContext) -> list[str]:
        report, pending = self._lint(config, ctx)
        counts = ", ".join(f"{n} {sev}" for sev, n in report.counts().items() if n) or "no findings"
        return [f"lint {len(pending)} pending migration(s): {counts} (fails on {config.fail_on})"]

    def run(self, config: LintStepConfig, ctx: StepContext) -> StepOutcome:
        from orchestrator.lint import Severity, render

        with ctx.ui.status("linting pending migrations"):
            report, pending = self._lint(config, ctx)
        if report.findings:
            ctx.ui.block(render(report, "text"))  # stderr under --output json: stdout is the report
        details = {"pending": [p.name for p in pending], "counts": report.counts()}
        if report.exit_code(config.fail_on):
            raise StepFailed(f"lint: {len(report.at_or_above(Severity(config.fail_on)))} finding(s) at or above "
                             f"{config.fail_on} in the pending migrations; fix them or suppress with "
                             "`-- orchestrator-lint: ignore <rule> -- <reason>`")
        return StepOutcome("warning" if report.findings else "ok", f"{len(pending)} pending file(s), {len(report.findings)} finding(s)", details)

    def _lint(self, config: LintStepConfig, ctx: StepContext) -> tuple[Any, list[Any]]:
        from orchestrator.lint import AppliedMigration, LintConfig, filter_pending, lint_paths

        project = ctx.playbook.project
        applied = [AppliedMigration(str(r["version"]), tuple(r["statements"] or ()), str(r["name"]))
                   for r in self._history(ctx)]
        files = project.migration_files()
        pending = filter_pending(files, {a.version for a in applied})
        cfg = LintConfig.for_project(project.root).merged(config.overrides())
        report = lint_paths([project.migrations_dir], cfg, only=pending, applied=applied, root=project.root)
        return report, pending

    def _history(self, ctx: StepContext) -> list[dict[str, Any]]:
        present = ctx.query(HISTORY_EXISTS_SQL)
        return ctx.query(APPLIED_SQL) if present and present[0].get("present") else []
