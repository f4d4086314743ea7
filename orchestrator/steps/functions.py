"""`functions`: deploy edge functions one at a time, in playbook order, checking each.

Never a multi-function deploy (supabase/cli#6247: not atomic, has exited 0 with functions
missing). The platform has no rollback (supabase/cli#2560), so we redeploy from git.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from orchestrator.context import StepContext
from orchestrator.durations import Duration
from orchestrator.errors import OrchestratorError, StepFailed, StoppedByHuman
from orchestrator.function_inputs import (
    FunctionInputs,
    copy_from,
    disabled,
    disk_source,
    outside,
    resolve,
    staged,
    working_inputs,
)
from orchestrator.interrupts import Interrupts
from orchestrator.ledger import Entry
from orchestrator.playbook.models import ProjectInfo
from orchestrator.prompt import NO_TERMINAL
from orchestrator.rollback import StillFailing, ledger_for, rollback_function
from orchestrator.rollout import CheckResult, Checks, deploy_one, live_versions, run_checks
from orchestrator.steps.base import Problem, StepConfig, StepOutcome

SLUG = r"^[A-Za-z][A-Za-z0-9_-]*$"
CHOICES = {"c": "continue", "r": "roll back this function", "a": "abort", "l": "show logs",
           "s": "continue, skip remaining checks"}


class FunctionsConfig(StepConfig):
    """Deploy edge functions one at a time, in this order, checking each."""

    names: Annotated[list[Annotated[str, Field(pattern=SLUG)]], Field(
        min_length=1, json_schema_extra={"uniqueItems": True},
        description="folders under supabase/functions/, deployed in this order")]
    checks: Checks = Field(default_factory=Checks, description="after each deploy")
    pause: Literal["each", "on_failure", "never"] = Field("on_failure", description="when to stop for a human")
    on_failure: Literal["rollback", "pause", "abort", "continue"] = Field(
        "rollback", description="what a failed deploy or check does (without a human at the pause)")
    cli_timeout: Duration = Field(default="5m", validate_default=True,
                                  description="how long one `functions deploy` may run before it is stopped")

    @field_validator("names")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        dupes = sorted(n for n, times in Counter(names).items() if times > 1)
        if dupes:
            raise ValueError(f"listed twice: {', '.join(dupes)}")
        return names


class FunctionsStep:
    kind: ClassVar[str] = "functions"
    config_model: ClassVar[type[StepConfig]] = FunctionsConfig

    def check(self, config: FunctionsConfig, project: ProjectInfo) -> list[Problem]:
        known = project.function_names()
        problems = []
        for i, n in enumerate(config.names):
            if not (project.functions_dir / n).is_dir():
                problems.append(Problem(f"names[{i}]", f"no directory supabase/functions/{n}"
                                        + (f"; functions here: {', '.join(known)}" if known else "")))
            elif not (entry := resolve(n, disk_source(project.root))).files:
                problems.append(Problem(f"names[{i}]", f"{n} has no entrypoint ({', '.join(entry.missing)}): "
                                                       "a shared folder is not a function"))
            elif far := outside(entry):
                problems.append(Problem(f"names[{i}]", f"{n} imports files outside the project folder "
                                                       f"({', '.join(far)}, relative to it): the supabase CLI "
                                                       "cannot upload them (it fails with 'failed to read file "
                                                       "... invalid argument'); move them under supabase/"))
            elif disabled(n, disk_source(project.root)):
                problems.append(Problem(f"names[{i}]", f"{n} is disabled in supabase/config.toml ([functions.{n}] "
                                                       "enabled = false; the supabase CLI skips it): enable it or "
                                                       "take it out of names"))
        return problems

    def plan(self, config: FunctionsConfig, ctx: StepContext) -> list[str]:
        ledger = ledger_for(ctx)
        lines = []
        for i, name in enumerate(config.names, 1):
            last = ledger.last_ok(name)
            changed = "never deployed by orchestrator" if last is None else (
                "unchanged since last deploy" if last.content_hash == _inputs(ctx, name)[1]
                else f"changed since {last.git_commit[:12]}")
            lines.append(f"{i}. deploy {name} ({changed})")
        return lines + [(f"checks: settle {config.checks.settle:g}s, "
                        f"logs {'on' if config.checks.logs else 'off'}, smoke {'on' if config.checks.smoke else 'off'};"
                        f" pause {config.pause}; on failure {config.on_failure}")]

    def run(self, config: FunctionsConfig, ctx: StepContext) -> StepOutcome:
        if config.pause == "each" and not ctx.options.yes and not ctx.prompter.interactive:
            # Fail before the first deploy, not after it: nobody could answer the pause anyway.
            raise StoppedByHuman("functions: pause: each asks after every deploy: "
                                 + NO_TERMINAL.format(action="continue through pauses"))
        state = _Rollout(config, ctx)
        for name in config.names:
            outcome = state.one_or_continue(name)
            if outcome is not None:
                return outcome
        return state.outcome()


class _Rollout:
    def __init__(self, config: FunctionsConfig, ctx: StepContext) -> None:
        self.config, self.ctx = config, ctx
        self.ledger = ledger_for(ctx)
        self.skip_checks = False
        self.entry: int | None = None  # the ledger row of the function being deployed
        self.done: list[dict[str, object]] = []
        self.commit, self.user = ctx.git.head(), ctx.git.user()  # fixed for the whole run
        self.dirty = ctx.git.dirty_paths()  # one `git status` per step, not one per function
        # Read once up front: each function is deployed once per step, by us.
        self.good, self.live = self.ledger.last_ok_all(), live_versions(ctx)
        self.rolled_back, self.latest = self.ledger.rolled_back(), self.ledger.latest_all()
        self.started: dict[str, float] = {}  # when each function's turn began (report durations)

    def one_or_continue(self, name: str) -> StepOutcome | None:
        """`one()`; with `on_failure: continue` a failed deploy is recorded and the next goes on."""
        try:
            return self.one(name)
        except StepFailed as exc:
            if self.config.on_failure != "continue":
                raise
            self.ctx.ui.error(str(exc))
            self.done.append(self._result(name, None, "deploy failed", [str(exc)], failed=True,
                                          outcome="deploy_failed"))
            return None

    def outcome(self) -> StepOutcome:
        """Every function's result; `failed` when any failed (only `on_failure: continue` gets here)."""
        failed = [str(d["function"]) for d in self.done if d.get("failed")]
        rows = [(str(d["function"]), str(d["version"] or "-"), str(d["checks"]), _reasons(d)) for d in self.done]
        self.ctx.ui.table("Functions", ["function", "version", "checks", "reasons"], rows)
        if failed:
            return StepOutcome("failed", f"{len(failed)} of {len(self.done)} function(s) failed: {', '.join(failed)}",
                               {"functions": self.done})
        return StepOutcome("ok", f"{len(self.done)} function(s) deployed", {"functions": self.done})

    def _result(self, name: str, version: int | None, checks: str, reasons: list[str], *, failed: bool,
                outcome: str, **extra: object) -> dict[str, object]:
        """One function's line of the run report (`--output json`, JUnit, Markdown)."""
        return {"function": name, "version": version, "version_before": self.live.get(name), "checks": checks,
                "reasons": reasons, "failed": failed, "outcome": outcome, "commit": self.commit,
                "duration_s": round(time.monotonic() - self.started.get(name, time.monotonic()), 3), **extra}

    def one(self, name: str) -> StepOutcome | None:
        ctx = self.ctx
        self.started[name] = time.monotonic()
        good = self.good.get(name)
        inputs, content_hash = _inputs(ctx, name)
        if self._unchanged(name, content_hash):
            return None
        self._refuse_rolled_back(name, content_hash)
        rel_paths = ctx.repo_paths(list(inputs.files))
        dirty = _touches(self.dirty, rel_paths)
        # The CLI gets what the function's inputs say and a config.toml with its settings only,
        # as a rollback of this commit would: nothing else of config.toml can block a deploy.
        with staged(inputs, copy_from(ctx.playbook.project.root)) as workdir:
            deployed = deploy_one(ctx, name, workdir=workdir, known=self.live, timeout=self.config.cli_timeout,
                                  intent={"action": "deploy", "commit": self.commit, "content_hash": content_hash,
                                          "dirty": dirty, "user": self.user},
                                  on_live=lambda v: self._record_live(name, v, content_hash, dirty))
        entry = self._record_live(name, deployed.info.version, content_hash, dirty)
        ctx.ui.ok(f"{name}: version {deployed.info.version} live (was {deployed.previous_version})")
        try:
            result = (deployed.upload_check() or CheckResult("skipped")) if self.skip_checks \
                else run_checks(ctx, name, deployed, self.config.checks)
        except Interrupts:
            ctx.journal.write("interrupted", env=ctx.env_name, in_flight="checks", function=name,
                              version=deployed.info.version, outcome="live")
            ctx.ui.error(f"{name}: version {deployed.info.version} is live; its checks were interrupted")
            raise
        failed = result.failed(self.config.checks)
        self._report(name, result)
        decision = "a"  # what the ledger says if the pause itself stops the run
        try:
            decision = self._decide(name, result, failed)
        finally:
            # A rollback is recorded by the rollback once it is live (the row turns rolled_back),
            # or as rollback_failed: until then this version is what failed (or passed) and is live.
            outcome = "failed" if failed or decision == "r" else "ok"
            self.entry = entry
            if entry is not None:
                why = "; ".join(result.reasons) or ("chosen at the pause" if decision == "r" else None)
                self._set_outcome(name, deployed.info.version, entry, outcome, why if outcome != "ok" else None)
        # A human who chose "continue" at the pause accepted the failure; a policy did not.
        accepted = failed and decision in {"c", "s"} and self.ctx.prompter.interactive and not self.ctx.options.yes
        self.done.append(self._result(
            name, deployed.info.version, result.status, result.reasons, failed=failed and not accepted,
            outcome="accepted" if accepted else ("failed" if failed else "deployed"), input_hash=content_hash,
            evidence=result.evidence, **({"accepted_by_human": True} if accepted else {})))
        ctx.journal.write("function", env=ctx.env_name, function=name, version=deployed.info.version,
                          checks=result.status, reasons=result.reasons, decision=decision)
        return self._act(name, decision, good, result)

    def _unchanged(self, name: str, content_hash: str) -> bool:
        """The live version is the ledger's newest good deploy of these very inputs: nothing to do."""
        last = self.latest.get(name)
        if (self.ctx.options.redeploy or last is None or last.outcome != "ok" or last.dirty
                or last.content_hash != content_hash or last.platform_version != self.live.get(name)):
            return False
        self.ctx.ui.ok(f"{name}: unchanged since version {last.platform_version} ({last.git_commit[:12]}); "
                       "skipped (--redeploy deploys it anyway)")
        self.done.append(self._result(name, last.platform_version, "unchanged", [], failed=False,
                                      outcome="unchanged", input_hash=content_hash))
        self.ctx.journal.write("function", env=self.ctx.env_name, function=name, version=last.platform_version,
                               checks="unchanged", reasons=[], decision="skip")
        return True

    def _refuse_rolled_back(self, name: str, content_hash: str) -> None:
        """Rollbacks stick: the same inputs are not deployed again without saying so."""
        bad = self.rolled_back.get((name, content_hash))
        if bad is None or self.ctx.options.allow_rolled_back:
            return
        raise StepFailed(f"{name}: these exact inputs (commit {bad.git_commit[:12]}) were rolled back in "
                         f"{self.ctx.env_name} on {bad.deployed_at[:19]} (deployed by {bad.deployed_by}; "
                         f"{bad.note or 'no reason recorded'}); not deployed. Fix forward, or pass "
                         "--allow-rolled-back to deploy them anyway")

    def _set_outcome(self, name: str, version: int, entry: int, outcome: str, why: str | None) -> None:
        try:
            self.ledger.set_outcome(entry, outcome, why)
        except OrchestratorError as exc:
            self.ctx.journal.write("ledger_error", env=self.ctx.env_name, function=name, version=version,
                                   outcome=outcome, error=str(exc))
            raise StepFailed(f"{name}: version {version} is live and its checks ended {outcome}, but the ledger "
                             f"could not be updated ({str(exc).splitlines()[0]}): it still says 'live' there. "
                             "Later functions were not deployed.") from None

    def _rollback_failed(self, name: str, good: Entry, reason: str, exc: OrchestratorError) -> None:
        """The automatic rollback did not go live: the failed version still is. Say so, record it."""
        ctx, live = self.ctx, self.live_version(name)
        first = str(exc).splitlines()[0]
        if self.entry is not None:
            try:
                self.ledger.set_outcome(self.entry, "rollback_failed", f"{reason}; rollback to "
                                        f"{good.git_commit[:12]} failed: {first}")
            except OrchestratorError as ledger_exc:
                ctx.ui.error(f"{name}: could not record the failed rollback in the ledger ({ledger_exc})")
        ctx.journal.write("rollback_failed", env=ctx.env_name, function=name, to=good.git_commit, error=str(exc),
                          live_version=live)
        raise StepFailed(f"{name}: the rollback to {good.git_commit[:12]} FAILED ({first}); the failing version "
                         f"{live if live is not None else '(unknown)'} is still LIVE in {ctx.env_name}. Roll back "
                         f"by hand: `orchestrator rollback {name} --env {ctx.env_name} --to <commit>`; later "
                         "functions were not deployed") from None

    def live_version(self, name: str) -> int | None:
        try:
            info = self.ctx.api.get_function(self.ctx.env.project_ref, name)
        except OrchestratorError:
            return None
        return info.version if info else None

    def _record_live(self, name: str, version: int, content_hash: str, dirty: bool) -> int | None:
        """Journal and ledger the new live version before anything else can fail (checks come after)."""
        ctx = self.ctx
        ctx.journal.write("deployed", env=ctx.env_name, function=name, version=version, commit=self.commit)
        try:
            return self.ledger.record(function=name, action="deploy", commit=self.commit,
                                      content_hash=content_hash, version=version,
                                      outcome="live", user=self.user, run_id=ctx.journal.run_id, dirty=dirty)
        except OrchestratorError as exc:
            ctx.journal.write("ledger_error", env=ctx.env_name, function=name, version=version, error=str(exc))
            raise StepFailed(f"{name}: version {version} is LIVE in {ctx.env_name} but could not be written to "
                             f"the deploy ledger ({str(exc).splitlines()[0]}); the journal {ctx.journal.path} "
                             "records it and the next run on this environment writes it to the ledger. "
                             "Later functions were not deployed.") from None

    def _report(self, name: str, result: CheckResult) -> None:
        if result.status in {"pass", "skipped"}:
            self.ctx.ui.ok(f"{name}: checks {result.status}")
        elif result.status == "inconclusive":
            self.ctx.ui.warn(f"{name}: checks inconclusive: {'; '.join(result.reasons)}")
        else:
            self.ctx.ui.error(f"{name}: checks failed: {'; '.join(result.reasons)}")

    def _decide(self, name: str, result: CheckResult, failed: bool) -> str:
        """c(ontinue) | r(ollback) | a(bort) | s(kip checks), from the pause prompt or on_failure."""
        pause, on_failure = self.config.pause, self.config.on_failure
        if pause == "each" or (failed and (pause == "on_failure" or on_failure == "pause")):
            return self._ask(name, result, failed)
        if not failed:
            return "c"
        return {"rollback": "r", "abort": "a", "continue": "c"}[on_failure]

    def _ask(self, name: str, result: CheckResult, failed: bool) -> str:
        default = {"rollback": "r", "abort": "a", "continue": "c", "pause": "a"}[self.config.on_failure]
        question = f"{name} {'FAILED its checks' if failed else 'deployed; checks ' + result.status}. Next?"
        while True:
            choice = self.ctx.prompter.choose(question, CHOICES, default_on_yes=default if failed else "c")
            if choice != "l":
                return choice
            for line in result.log_lines or ["(no log lines in the window)"]:
                self.ctx.ui.line(f"    {line}")

    def _act(self, name: str, decision: str, good: Entry | None, result: CheckResult) -> StepOutcome | None:
        if decision == "s":
            self.skip_checks = True
        if decision in {"c", "s"}:
            return None
        if decision == "a":
            raise (StoppedByHuman if self.ctx.prompter.interactive and not self.ctx.options.yes
                   else StepFailed)(f"stopped after {name}: {'; '.join(result.reasons) or 'aborted'}; "
                                    f"later functions were not deployed")
        if good is None:
            raise StepFailed(f"{name} failed and the ledger has no earlier good deploy to roll back to; "
                             "the new version stays live: fix forward, or `orchestrator rollback "
                             f"{name} --env {self.ctx.env_name} --to <commit>`")
        reason = "; ".join(result.reasons) or "chosen at the pause"
        try:
            rollback_function(self.ctx, name, good.git_commit, checks=self.config.checks, reason=reason,
                              confirm=False, replaces=self.entry)
        except StillFailing:
            raise
        except OrchestratorError as exc:
            self._rollback_failed(name, good, reason, exc)
        remaining = self.config.names[self.config.names.index(name) + 1:]
        self.done[-1].update(outcome="rolled_back", rolled_back_to=good.git_commit)
        return StepOutcome("rolled_back", f"{name} rolled back to {good.git_commit[:12]}; not deployed: "
                           f"{', '.join(remaining) or 'none'}", {"functions": self.done, "rolled_back": name})


def _reasons(result: dict[str, object]) -> str:
    reasons = result.get("reasons")
    return "; ".join(map(str, reasons))[:120] if isinstance(reasons, list) else ""


def _inputs(ctx: StepContext, name: str) -> tuple[FunctionInputs, str]:
    """What a deploy of `name` from the working folder uploads, and its content hash."""
    return working_inputs(ctx.git, ctx.playbook.project.root, ctx.project_prefix(), name)


def _touches(changed: list[str], paths: list[str]) -> bool:
    return any(c == p or c.startswith(p.rstrip("/") + "/") for c in changed for p in paths)
