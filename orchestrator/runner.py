"""Plan -> steps: run a playbook's steps against each environment in turn, journal everything,
stop at the first failure."""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator import __version__
from orchestrator.console import Console
from orchestrator.context import RunOptions, StepContext
from orchestrator.durations import format_duration
from orchestrator.errors import OrchestratorError, StoppedByHuman
from orchestrator.interrupts import Interrupts, describe, exit_code
from orchestrator.journal import Journal, Timer, now_iso
from orchestrator.lease import Lease
from orchestrator.notify import Notifier
from orchestrator.playbook.models import Playbook, StepSpec
from orchestrator.prompt import Prompter
from orchestrator.redact import Redactor
from orchestrator.steps import REGISTRY

READ_ONLY_KINDS = frozenset({"preflight", "lint", "verify", "pause", "backup", "rehearse"})


@dataclass
class StepRecord:
    env: str
    index: int
    kind: str
    label: str
    status: str
    summary: str = ""
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)  # e.g. every function's result (--output json)


@dataclass
class RunReport:
    run_id: str
    playbook: str
    environments: list[str]
    steps: list[StepRecord] = field(default_factory=list)
    exit_code: int = 0
    error: str = ""
    journal: str = ""
    command: str = "run"
    playbook_sha256: str | None = None
    commit: str | None = None
    release: str | None = None
    resumed_from: str | None = None
    started_at: str = field(default_factory=now_iso)
    finished_at: str | None = None
    approvals: dict[str, str] = field(default_factory=dict)  # environment -> who approved it, how

    @property
    def outcome(self) -> str:
        from orchestrator.error_handler import outcome

        return outcome(self.exit_code)

    def as_json(self) -> dict[str, Any]:
        """The versioned run report (orchestrator.report; `orchestrator schema --report`)."""
        from orchestrator.report import document

        return document(self)


@dataclass
class Runner:
    playbook: Playbook
    options: RunOptions
    ui: Console
    redactor: Redactor
    environ: Mapping[str, str]
    journal: Journal
    done: frozenset[tuple[str, int]] = frozenset()  # (env, step index) finished by a resumed run
    tree: dict[str, Any] = field(default_factory=dict)  # what this run ships (fingerprint.tree_state)
    approved_by: dict[str, str] = field(default_factory=dict)

    @property
    def notify(self) -> Notifier:
        if not hasattr(self, "_notifier"):
            url = self.playbook.model.notify.webhook if self.playbook.model.notify else None
            if url:
                self.redactor.add(url)
            self._notifier = Notifier(url, run_id=self.journal.run_id, playbook=self.playbook.name,
                                      warn=self.ui.warn, journal=self.journal.write, redact=self.redactor)
        return self._notifier

    @property
    def release(self) -> str:
        from orchestrator.releases import release_id

        return release_id(self.tree)

    def run(self, environments: Sequence[str], *, resumed_from: str | None = None,
            tree: dict[str, Any] | None = None) -> RunReport:
        self.tree = tree or {}
        report = RunReport(self.journal.run_id, str(self.playbook.path), list(environments),
                           journal=str(self.journal.path), command="resume" if resumed_from else "run",
                           playbook_sha256=self.playbook.sha256, commit=self.tree.get("head") or _head(self.playbook),
                           release=self.release, resumed_from=resumed_from)
        self.journal.write("run_start", playbook=str(self.playbook.path), playbook_in_project=_in_project(self.playbook),
                           playbook_sha256=self.playbook.sha256,
                           git_commit=_head(self.playbook), environments=list(environments),
                           user=getpass.getuser(), orchestrator=__version__, resumed_from=resumed_from,
                           options=asdict(self.options), tree=tree)
        try:
            self._approvals_possible(environments)
            for env_name in environments:
                if not self._run_env(env_name, report):
                    break
        except StoppedByHuman as exc:
            report.exit_code, report.error = exc.exit_code, str(exc)
            self.ui.error(str(exc))
        except Interrupts as exc:  # the step already stopped the CLI and journaled what was in flight
            report.exit_code, report.error = exit_code(exc), describe(exc)
        self.notify("run_end", f"release {self.playbook.name} (run {report.run_id}) {report.outcome}"
                    + (f": {report.error.splitlines()[0]}" if report.error else ""),
                    outcome=report.outcome, exit_code=report.exit_code, environments=list(environments))
        report.finished_at, report.approvals = now_iso(), dict(self.approved_by)
        self.journal.write("run_end", outcome=report.outcome, exit_code=report.exit_code, error=report.error)
        self.journal.close()
        return report

    def _run_env(self, env_name: str, report: RunReport) -> bool:
        ctx = self.context(env_name)
        env = ctx.env
        self.ui.step(f"environment {env_name}: project {env.project_ref}, {len(self.playbook.steps)} step(s)")
        for spec in self.playbook.steps:
            self.ui.line(f"   {spec.index + 1}. {spec.kind}" + (f" ({spec.name})" if spec.name else ""))
        self.journal.write("env_start", env=env_name, project_ref=env.project_ref)
        try:
            self._inputs_ready(ctx)
            self._gate(ctx)
            self._approve(ctx)
            lease = self._lease(ctx)
        except OrchestratorError as exc:  # missing secret values, a gate, approval, the lease's database
            return self._fail(report, env_name, None, exc, 0.0)
        outcome = "failed"
        try:
            reconcile_env(ctx, record=True)
            for spec in self.playbook.steps:
                if not self._run_step(ctx, spec, report):
                    return False
            outcome = "succeeded"
        finally:
            if lease is not None:
                self._remember(ctx, outcome)
                lease.release()
                self.journal.write("lease_released", env=env_name)
        self.journal.write("env_end", env=env_name, outcome="succeeded")
        return True

    def _inputs_ready(self, ctx: StepContext) -> None:
        """Values a later step needs (secrets) are checked before the first step changes anything."""
        from orchestrator.steps.secrets import values_for

        for spec in self.playbook.steps:
            if spec.kind == "secrets":
                ctx.redactor.add(*values_for(spec.config, ctx.environ).values())

    def _show_plan(self, ctx: StepContext) -> None:
        """What the approver is approving: each step's plan (pending migrations, functions that
        changed, secret names), as `orchestrator plan` shows it."""
        self.ui.step(f"what {ctx.env_name} would get (project {ctx.env.project_ref}, release {self.release}, "
                     f"commit {str(self.tree.get('head') or '?')[:12]})")
        for spec in self.playbook.steps:
            try:
                lines = REGISTRY[spec.kind].plan(spec.config, ctx)
            except OrchestratorError as exc:
                lines = [f"(could not plan: {str(exc).splitlines()[0]})"]
            self.ui.line(f"{spec.index + 1}. {spec.label}")
            for line in lines:
                self.ui.line(f"     {line}")

    def _gate(self, ctx: StepContext) -> None:
        """requires_passed: this release must have succeeded in each listed environment, as that
        environment's own database records it (from any clone, any runner)."""
        from orchestrator import releases
        from orchestrator.errors import StepFailed
        from orchestrator.rollback import ledger_for

        for other in ctx.env.requires_passed:
            found = releases.passed(ledger_for(self.context(other)).query, other, self.release)
            if found is None:
                raise StepFailed(f"{ctx.env_name} requires this release to have passed in {other} first, and "
                                 f"{other} has no successful run of it (release {self.release}, commit "
                                 f"{str(self.tree.get('head') or '?')[:12]}): run it against {other} first")
            self.ui.ok(f"{ctx.env_name}: release {self.release} passed in {other} (run {found.run_id}, "
                       f"{found.finished_at[:19]}, by {found.run_by})")
            self.journal.write("gate_passed", env=ctx.env_name, required=other, release=self.release,
                               run=found.run_id)

    def _remember(self, ctx: StepContext, outcome: str) -> None:
        """This environment ran this release (to the end or not), in its own database."""
        from orchestrator import releases
        from orchestrator.rollback import ledger_for

        try:
            releases.record(ledger_for(ctx).query, environment=ctx.env_name, run_id=self.journal.run_id,
                            release=self.release, commit=self.tree.get("head"), outcome=outcome,
                            approved_by=self.approved_by.get(ctx.env_name), run_by=getpass.getuser())
        except OrchestratorError as exc:  # the deploys are in the ledger; a gate will just not see this run
            self.ui.warn(f"could not record the run's outcome in {ctx.env_name} ({exc})")

    def _lease(self, ctx: StepContext) -> Lease | None:
        """Be this environment's only deployer while the steps run (not for read-only playbooks)."""
        if all(spec.kind in READ_ONLY_KINDS for spec in self.playbook.steps):
            return None
        from orchestrator.rollback import ledger_for

        _ = ctx.cli.version  # an unusable supabase CLI is bad input: say so before locking anything

        lease = Lease(ledger_for(ctx).query, ctx.env_name, self.journal.run_id)
        lease.acquire(self.options.lock_timeout,
                      lambda holder: self.ui.warn(f"{ctx.env_name} is being deployed by {holder.describe()}; "
                                                  f"waiting up to {self.options.lock_timeout:g}s"))
        if lease.taken_over is not None:
            self.ui.warn(f"took over the lease of run {lease.taken_over.run_id}: its process {lease.taken_over.pid} "
                         "on this machine is gone")
        self.journal.write("lease_taken", env=ctx.env_name)
        return lease

    def _approvals_possible(self, environments: Sequence[str]) -> None:
        """Without a terminal and without --approve, an environment that needs approval would stop
        the run after the earlier environments were changed: say so before the first one starts."""
        if self.options.approve or self.options.interactive:
            return
        waiting = [e for e in environments if self.playbook.environment(e).requires_approval]
        if waiting:
            raise StoppedByHuman(f"{', '.join(waiting)} requires approval and there is no terminal to ask: pass "
                                 "--approve (nothing was run)")

    def _approve(self, ctx: StepContext) -> None:
        if not ctx.env.requires_approval:
            return
        if not self.options.approve:
            self.notify("approval_needed", f"{ctx.env_name} needs approval for {self.playbook.name} (release "
                        f"{self.release})", env=ctx.env_name, release=self.release)
        if self.options.approve:
            self.ui.line(f"{ctx.env_name} requires approval: approved by --approve")
            self.approved_by[ctx.env_name] = f"{getpass.getuser()} (--approve)"
        else:
            if self.options.interactive:
                self._show_plan(ctx)
            Prompter(self.ui, yes=False, interactive=self.options.interactive,
                     timeout=self.options.prompt_timeout).confirm(
                f"{ctx.env_name} requires approval. Run {len(self.playbook.steps)} step(s) of release "
                f"{self.release} (commit {str(self.tree.get('head') or '?')[:12]}) against {ctx.env.project_ref}?",
                action="approve (use --approve)")
            self.approved_by[ctx.env_name] = f"{getpass.getuser()} (at the prompt)"
        self.journal.write("approved", env=ctx.env_name, by=getpass.getuser())

    def _run_step(self, ctx: StepContext, spec: StepSpec, report: RunReport) -> bool:
        if (ctx.env_name, spec.index) in self.done:
            report.steps.append(StepRecord(ctx.env_name, spec.index, spec.kind, spec.label, "skipped",
                                           "done in the resumed run"))
            self.journal.write("step_end", env=ctx.env_name, index=spec.index, kind=spec.kind,
                               status="skipped", summary="done in the resumed run", duration_s=0)
            return True
        self.ui.step(f"[{ctx.env_name}] step {spec.index + 1}/{len(self.playbook.steps)}: {spec.label}")
        self.journal.write("step_start", env=ctx.env_name, index=spec.index, kind=spec.kind, name=spec.name)
        timer = Timer()
        try:
            outcome = REGISTRY[spec.kind].run(spec.config, ctx)
        except OrchestratorError as exc:
            return self._fail(report, ctx.env_name, spec, exc, timer.elapsed)
        except Interrupts as exc:
            self._record(report, ctx.env_name, spec, "interrupted", describe(exc), timer.elapsed)
            raise
        self._record(report, ctx.env_name, spec, outcome.status, outcome.summary, timer.elapsed, outcome.details)
        if outcome.status in {"failed", "rolled_back"}:
            kind = "rolled_back" if outcome.status == "rolled_back" else "step_failed"
            self.notify(kind, f"{ctx.env_name}: step {spec.index + 1} ({spec.label}) {outcome.status}: "
                        f"{outcome.summary}", env=ctx.env_name, step=spec.label)
        return outcome.status not in {"failed", "rolled_back"} or self._stop(report, outcome.status)

    def _stop(self, report: RunReport, status: str) -> bool:
        report.exit_code = 1
        report.error = f"a step ended {status}"
        return False

    def _fail(self, report: RunReport, env: str, spec: StepSpec | None, exc: OrchestratorError,
              elapsed: float) -> bool:
        report.exit_code, report.error = exc.exit_code, str(exc)
        self.notify("step_failed", f"{env}: {spec.label if spec else 'before the steps'} failed: "
                    f"{str(exc).splitlines()[0]}", env=env, step=spec.label if spec else None)
        if spec is not None:
            status = "stopped" if isinstance(exc, StoppedByHuman) else "failed"
            details = {**getattr(exc, "details", {}), "error": str(exc)}
            self._record(report, env, spec, status, str(exc).splitlines()[0], elapsed, details)
        self.journal.write("env_end", env=env, outcome="failed", error=str(exc))
        return False

    def _record(self, report: RunReport, env: str, spec: StepSpec, status: str, summary: str,
                elapsed: float, details: dict[str, Any] | None = None) -> None:
        report.steps.append(StepRecord(env, spec.index, spec.kind, spec.label, status, summary, round(elapsed, 3),
                                       details or {}))
        self.journal.write("step_end", env=env, index=spec.index, kind=spec.kind, status=status,
                           summary=summary, duration_s=round(elapsed, 3), details=details or {})

    def context(self, env_name: str) -> StepContext:
        prompter = Prompter(self.ui, yes=self.options.yes, interactive=self.options.interactive,
                            timeout=self.options.prompt_timeout)
        return StepContext(self.playbook, env_name, self.playbook.environment(env_name), self.options,
                           self.ui, prompter, self.journal, self.redactor, self.environ)


def print_summary(ui: Console, report: RunReport) -> None:
    rows = [(r.env, f"{r.index + 1}. {r.label}", r.status, format_duration(r.duration_s), r.summary)
            for r in report.steps]
    ui.table(f"Run {report.run_id}: {report.outcome}", ["env", "step", "outcome", "duration", "summary"], rows)
    if report.error:
        ui.error(report.error)
    ui.line(f"journal: {report.journal}", style="dim")


def reconcile_env(ctx: StepContext, *, record: bool) -> None:
    """Earlier runs of this environment that were killed: record what they left live (see reconcile)."""
    from orchestrator.reconcile import reconcile
    from orchestrator.rollback import ledger_for

    reconcile(ctx, ledger_for(ctx), record=record)


def _in_project(playbook: Playbook) -> str | None:
    """The playbook's path from the project root (what `resume` in another checkout looks for)."""
    try:
        return playbook.path.resolve().relative_to(playbook.project.root.resolve()).as_posix()
    except ValueError:
        return None


def _head(playbook: Playbook) -> str | None:
    from orchestrator.adapters.git import Git
    from orchestrator.errors import OrchestratorError as _E

    try:
        return Git(playbook.project.root).head()
    except _E:
        return None
