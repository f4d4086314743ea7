"""Roll one function back by redeploying its source exactly as it was at an earlier commit.

The folder, the shared folders it imports, the import maps and config.toml are exported from git
objects into a temporary directory and deployed from there: the user's working tree, index and
branch are never touched.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from orchestrator.context import StepContext
from orchestrator.errors import InputError, StepFailed
from orchestrator.function_source import FUNCTIONS, deploy_paths, function_paths, shared_folders
from orchestrator.ledger import Ledger
from orchestrator.rollout import CheckResult, Checks, deploy_one, run_checks


@dataclass(frozen=True)
class RollbackResult:
    commit: str
    version: int
    checks: CheckResult | None


def ledger_for(ctx: StepContext) -> Ledger:
    return Ledger(lambda sql: ctx.query(sql, read_only=False), ctx.env_name)


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
                      reason: str = "", confirm: bool = True) -> RollbackResult:
    """Redeploy `name` from `commit`. `confirm=False` when a human (or on_failure) already chose it."""
    git, rel = ctx.git, ctx.project_prefix()
    sha = git.resolve(commit)
    info = git.commit_info(sha)
    with tempfile.TemporaryDirectory(prefix=f"orch-rollback-{name}-") as tmp:
        root = Path(tmp)
        git.export_paths(sha, [f"{rel}{FUNCTIONS}/{name}"], root)
        functions_dir = root / rel / FUNCTIONS
        shared = shared_folders(functions_dir / name, functions_dir, lambda folder: git.export_paths(
            sha, [f"{rel}{FUNCTIONS}/{folder}"], root, missing_ok=True))
        git.export_paths(sha, [rel + p for p in deploy_paths(name, shared)], root, missing_ok=True)
        paths = [rel + p for p in function_paths(name, shared)]
        _show(ctx, name, sha, info.author, str(info.date), info.subject, paths, reason)
        if confirm:
            ctx.prompter.confirm(f"Redeploy {name} from {sha[:12]} to {ctx.env_name}?", action="roll back")
        deployed = deploy_one(ctx, name, workdir=root / rel if rel else root)
        # Recorded as soon as it is live: the checks below may fail in any way.
        ctx.journal.write("deployed", env=ctx.env_name, function=name, version=deployed.info.version, commit=sha,
                          action="rollback")
        ledger = ledger_for(ctx)
        entry = ledger.record(function=name, action="rollback", commit=sha, content_hash=git.tree_hash(sha, paths),
                              version=deployed.info.version, outcome="live", user=git.user(),
                              run_id=ctx.journal.run_id)
        result = run_checks(ctx, name, deployed, checks) if checks else deployed.upload_check()
    failed = result is not None and result.failed(checks or Checks())
    if entry is not None:
        ledger.set_outcome(entry, "failed" if failed else "ok")
    ctx.journal.write("rollback", env=ctx.env_name, function=name, commit=sha, version=deployed.info.version,
                      outcome="failed" if failed else "ok")
    if failed and result is not None:
        raise StepFailed(f"{name} rolled back to {sha[:12]} but still fails its checks: {'; '.join(result.reasons)}")
    ctx.ui.ok(f"{name} rolled back to {sha[:12]} (platform version {deployed.info.version})")
    return RollbackResult(sha, deployed.info.version, result)


def _show(ctx: StepContext, name: str, sha: str, author: str, date: str, subject: str, paths: list[str],
          reason: str) -> None:
    current = ledger_for(ctx).entries(name, limit=1)
    differ = ctx.git.files_differ(current[0].git_commit, sha, paths) if current else []
    rows = [("function", name), ("environment", ctx.env_name), ("commit", sha[:12]), ("author", author),
            ("date", date), ("subject", subject),
            ("differs from live", ", ".join(differ) or ("nothing" if current else "unknown (no ledger entry)"))]
    if reason:
        rows.insert(0, ("reason", reason))
    ctx.ui.table(f"Rollback of {name}", ["", ""], rows)
