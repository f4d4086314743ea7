"""Roll one function back by redeploying its source exactly as it was at an earlier commit.

The folder, the shared folders it imports, the import maps and config.toml are exported from git
objects into a temporary directory and deployed from there: the user's working tree, index and
branch are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.context import StepContext
from orchestrator.errors import InputError, StepFailed
from orchestrator.function_inputs import FUNCTIONS, commit_inputs, commit_source, disabled, staged
from orchestrator.ledger import Entry, Ledger
from orchestrator.rollout import CheckResult, Checks, deploy_one, run_checks


class StillFailing(StepFailed):
    """The rollback went live but the version it restored fails its checks too."""


@dataclass(frozen=True)
class RollbackResult:
    commit: str
    version: int
    checks: CheckResult | None


def ledger_for(ctx: StepContext) -> Ledger:
    return Ledger(lambda sql, params: ctx.query(sql, params, read_only=False), ctx.env_name)


def resolve_target(ctx: StepContext, name: str, to: str) -> str:
    """A commit sha for `--to REF|last-good`."""
    if to != "last-good":
        return ctx.git.resolve(to)
    good = ledger_for(ctx).last_good(name)
    if good is None:
        raise InputError(f"{name} in {ctx.env_name}: the ledger has no earlier good deploy; "
                         "pass --to <commit> (see `orchestrator history`)")
    return good.git_commit


def rollback_function(ctx: StepContext, name: str, commit: str, *, checks: Checks | None = None,
                      reason: str = "", confirm: bool = True, replaces: int | None = None) -> RollbackResult:
    """Redeploy `name` from `commit`. `confirm=False` when a human (or on_failure) already chose it.
    `replaces`: the ledger row of the deploy being rolled back (default: the newest of `name`); it
    turns rolled_back once the rollback is live, not before."""
    git, rel = ctx.git, ctx.project_prefix()
    sha = git.resolve(commit)
    info = git.commit_info(sha)
    inputs, content_hash = commit_inputs(git, sha, rel, name)
    if not inputs.files:
        raise InputError(f"{name} has no entrypoint at {sha[:12]} ({FUNCTIONS}/{name}/index.ts or config.toml's "
                         "entrypoint): pick another commit (see `orchestrator history`)")
    if disabled(name, commit_source(git, sha, rel)):
        raise InputError(f"{name} is disabled at {sha[:12]} ([functions.{name}] enabled = false in "
                         "supabase/config.toml): a deploy from that commit deploys nothing; pick another commit "
                         "(see `orchestrator history`)")
    # Exactly what a deploy from a clean checkout of `sha` uploads, from git objects (the working
    # tree is never touched), with a config.toml holding only this function's settings.
    with staged(inputs, lambda root, paths: git.export_paths(sha, paths, root), rel) as workdir:
        paths = [rel + f for f in inputs.files]
        _show(ctx, name, sha, info.author, str(info.date), info.subject, paths, reason)
        if inputs.missing:
            ctx.ui.warn(f"{name} at {sha[:12]} imports files that are not in that commit: {', '.join(inputs.missing)}")
        if confirm:
            ctx.prompter.confirm(f"Redeploy {name} from {sha[:12]} to {ctx.env_name}?", action="roll back")
        ledger = ledger_for(ctx)
        why = reason or f"rolled back to {sha[:12]} by {git.user()}"

        def record(version: int) -> int | None:
            # Recorded as soon as it is live: the checks below may fail in any way.
            ctx.journal.write("deployed", env=ctx.env_name, function=name, version=version, commit=sha,
                              action="rollback")
            _mark_replaced(ledger, name, content_hash, why, replaces)
            return ledger.record(function=name, action="rollback", commit=sha, content_hash=content_hash,
                                 version=version, outcome="live", user=git.user(), run_id=ctx.journal.run_id)

        deployed = deploy_one(ctx, name, workdir=workdir, on_live=record,
                              intent={"action": "rollback", "commit": sha, "content_hash": content_hash,
                                      "user": git.user()})
        entry = record(deployed.info.version)
        result = run_checks(ctx, name, deployed, checks) if checks else deployed.upload_check()
    failed = result is not None and result.failed(checks or Checks())
    if entry is not None:
        ledger.set_outcome(entry, "failed" if failed else "ok")
    ctx.journal.write("rollback", env=ctx.env_name, function=name, commit=sha, version=deployed.info.version,
                      outcome="failed" if failed else "ok")
    if failed and result is not None:
        raise StillFailing(f"{name} rolled back to {sha[:12]} but still fails its checks: {'; '.join(result.reasons)}")
    ctx.ui.ok(f"{name} rolled back to {sha[:12]} (platform version {deployed.info.version})")
    return RollbackResult(sha, deployed.info.version, result)


def _mark_replaced(ledger: Ledger, name: str, content_hash: str, why: str, replaces: int | None) -> None:
    """The deploy this rollback replaced (now that the rollback is live) is bad from now on:
    `last-good` skips it and a run will not quietly redeploy the same inputs."""
    if replaces is not None:
        ledger.set_outcome(replaces, "rolled_back", why)
        return
    current = ledger.entries(name, limit=1)
    if current and current[0].outcome in ("ok", "live", "failed") and current[0].content_hash != content_hash:
        ledger.set_outcome(current[0].id, "rolled_back", why)


def _differs(ctx: StepContext, current: list[Entry], sha: str, paths: list[str]) -> str:
    if not current:
        return "unknown (no ledger entry)"
    live = current[0].git_commit
    try:
        return ", ".join(ctx.git.files_differ(live, sha, paths)) or "nothing"
    except InputError:  # a CI merge commit, a squashed branch, a shallow clone: carry on
        return f"unknown: the live deploy's commit {live[:12]} is not in this clone"


def _show(ctx: StepContext, name: str, sha: str, author: str, date: str, subject: str, paths: list[str],
          reason: str) -> None:
    current = ledger_for(ctx).entries(name, limit=1)
    rows = [("function", name), ("environment", ctx.env_name), ("commit", sha[:12]), ("author", author),
            ("date", date), ("subject", subject), ("differs from live", _differs(ctx, current, sha, paths))]
    if reason:
        rows.insert(0, ("reason", reason))
    ctx.ui.table(f"Rollback of {name}", ["", ""], rows)
