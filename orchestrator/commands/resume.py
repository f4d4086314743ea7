"""`orchestrator resume RUN_ID`: continue a failed or interrupted run from the step that did not finish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.commands.common import Session, load_with_gates, redact_tokens
from orchestrator.commands.run import execute
from orchestrator.errors import InputError
from orchestrator.fingerprint import differences, tree_state
from orchestrator.journal import find_run, read_events


def resume(s: Session, run_id: str, project_dir: Path | None = None, allow_changes: bool = False) -> int:
    root = project_dir or _git_root_or_cwd()
    path = find_run(root, run_id)
    events = list(read_events(path))
    start = next((e for e in events if e["event"] == "run_start"), None)
    envs = start.get("environments") if start else None
    if (start is None or not isinstance(start.get("playbook"), str) or not isinstance(envs, list)
            or not all(isinstance(e, str) for e in envs) or not isinstance(start.get("playbook_sha256"), str)):
        raise InputError(f"{path}: no usable run_start event (damaged journal?); start a new run")
    if any(e["event"] == "run_end" and e.get("exit_code") == 0 for e in events):
        s.ui.ok(f"run {run_id} succeeded: nothing to resume")
        return 0
    pb = redact_tokens(s, load_with_gates(_playbook_here(path, start), s.environ, start["environments"]))
    if pb.sha256 != start["playbook_sha256"]:
        raise InputError(f"{pb.path} changed since run {run_id}; start a new run instead of resuming")
    tree = tree_state(pb)
    changed = differences(start.get("tree") or {}, tree) if isinstance(start.get("tree"), dict) else \
        ["the run did not record its tree (an older orchestrator)"]
    if changed and not allow_changes:
        raise InputError(f"the project changed since run {run_id}; resuming would ship something that run "
                         "never checked:\n  " + "\n  ".join(changed) + "\nStart a new run, or pass "
                         "--allow-changes to resume anyway (preflight and lint run again either way)")
    # preflight and lint always run again: they check the tree as it is now
    done = frozenset(k for k in _finished_steps(events) if pb.steps[k[1]].kind not in ("preflight", "lint"))
    s.ui.line(f"resuming {run_id}: {len(done)} step(s) already done"
              + (f"; changed since: {'; '.join(changed)}" if changed else ""))
    planned = (start.get("options") or {}).get("planned")  # a --release run stays bound to its release
    return execute(s, pb, list(start["environments"]), done=done, resumed_from=run_id, tree=tree,
                   planned=planned if isinstance(planned, dict) else None)


def _playbook_here(journal: Path, start: dict[str, Any]) -> Path:
    """The run's playbook in the checkout holding this journal, never another checkout's: a journal
    copied to another clone (a CI artifact) names a path on the machine that wrote it."""
    project = journal.parent.parent.parent  # <project>/.orchestrator/runs/<run>.jsonl
    relative = start.get("playbook_in_project")
    if isinstance(relative, str):
        return project / relative
    named = Path(start["playbook"])
    if project.resolve() in named.resolve().parents:
        return named
    raise InputError(f"{journal}: the run's playbook {named} is not in this project ({project}); resume from "
                     "the checkout that ran it, or start a new run")


def _finished_steps(events: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(str(e.get("env")), e["index"]) for e in events
            if e["event"] == "step_end" and e.get("status") in {"ok", "skipped", "warning"}
            and isinstance(e.get("index"), int)}


def _git_root_or_cwd() -> Path:
    from orchestrator.adapters.git import Git
    from orchestrator.errors import OrchestratorError

    try:
        return Git.root(Path.cwd())
    except OrchestratorError:
        return Path.cwd()
