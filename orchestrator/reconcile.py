"""Runs that did not finish: killed (SIGKILL, out of memory, a lost CI machine) or interrupted while a
deploy was in flight. Before a run (or resume) touches an environment, the journals of this project
are searched for such runs; whatever went live and is not in the deploy ledger is recorded there now
(outcome `live`: its checks never finished), and a `db push` that was in flight is read back. `plan`
only reports. Each journal is marked `reconciled` for the environment, so this happens once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.context import StepContext
from orchestrator.errors import OrchestratorError
from orchestrator.files import open_private
from orchestrator.journal import RUNS_DIR, now_iso, read_events
from orchestrator.ledger import Ledger


@dataclass
class Finding:
    run_id: str
    ended: bool = False  # it ended (interrupted, or the ledger failed), rather than being killed
    messages: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # functions written to the ledger now


def reconcile(ctx: StepContext, ledger: Ledger, *, record: bool = True) -> list[Finding]:
    """Check the unfinished runs of this environment; record (or with record=False only report) what
    went live unrecorded. Problems reading the API or the ledger are reported, never raised."""
    findings = []
    for path, events in _unfinished(ctx.playbook.project.root, ctx.env_name, ctx.journal.run_id):
        finding = Finding(path.stem, ended=any(e["event"] == "run_end" for e in events))
        try:
            _check_run(ctx, ledger, events, finding, record)
        except OrchestratorError as exc:
            finding.messages.append(f"could not check it: {str(exc).splitlines()[0]}")
            record = False  # not marked: the next run tries again
        _report(ctx, finding, record)
        if record:
            _mark(path, ctx, finding)
        findings.append(finding)
    return findings


def _unfinished(root: Path, env: str, current: str) -> list[tuple[Path, list[dict[str, Any]]]]:
    out = []
    runs = root / RUNS_DIR
    for path in sorted(runs.glob("*.jsonl")) if runs.is_dir() else []:
        if path.stem == current or _ended_cleanly(path) or _marked(path, env):
            continue
        try:
            events = list(read_events(path))
        except OrchestratorError:
            continue  # a damaged journal of another run must not stop this one
        start = events[0] if events else {}
        if start.get("event") != "run_start" or env not in (start.get("environments") or []):
            continue
        if any(e["event"] == "run_end" for e in events) and not _was_interrupted(events, env):
            continue
        out.append((path, events))
    return out


def _ended_cleanly(path: Path) -> bool:
    """Cheap test on the last line: a run that ended without an interrupt needs nothing."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 4096))
            tail = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    except OSError:
        return False
    return (b'"event": "run_end"' in tail and b'"outcome": "interrupted"' not in tail
            and b'"exit_code": 0' in tail)  # a failed run may have left a deploy unrecorded


def _was_interrupted(events: list[dict[str, Any]], env: str) -> bool:
    """Ended, but left something to check: an interrupted deploy whose outcome was not yet known, a
    deploy that went live while the ledger could not be written, a deploy the API did not confirm,
    or a db push whose result could not be read back."""
    return any(e.get("env") == env and ((e["event"] == "interrupted" and e.get("outcome") in ("unknown", "not deployed"))
                                        or e["event"] in ("ledger_error", "deploy_unconfirmed")
                                        or (e["event"] == "migrations" and e.get("outcome") == "unknown"))
               for e in events)


def _check_run(ctx: StepContext, ledger: Ledger, events: list[dict[str, Any]], finding: Finding,
               record: bool) -> None:
    mine = [e for e in events if e.get("env") == ctx.env_name]
    _check_deploys(ctx, ledger, mine, finding, record)
    _check_push(ctx, mine, finding)


def _check_deploys(ctx: StepContext, ledger: Ledger, events: list[dict[str, Any]], finding: Finding,
                   record: bool) -> None:
    intents: dict[str, dict[str, Any]] = {}  # function -> its last deploy_start
    live: dict[str, int] = {}  # function -> the version the journal saw go live
    for e in events:
        name = str(e.get("function", ""))
        if e["event"] == "deploy_start":
            intents[name] = e
            live.pop(name, None)
        elif e["event"] == "deployed" and isinstance(e.get("version"), int):
            live[name] = e["version"]
    for name, intent in intents.items():
        version = live.get(name)
        if version is None:  # in flight when the run died: did it go live?
            info = ctx.api.get_function(ctx.env.project_ref, name)
            old = intent.get("old_version")
            if info is None or (isinstance(old, int) and info.version <= old):
                finding.messages.append(f"{name}: a deploy was in flight; it did not go live "
                                        f"(live: {info.version if info else 'none'})")
                continue
            version = info.version
        if any(e.platform_version == version and e.run_id == finding.run_id for e in ledger.entries(name, 20)):
            continue  # recorded by that run
        if not isinstance(intent.get("commit"), str) or not isinstance(intent.get("content_hash"), str):
            finding.messages.append(f"{name}: version {version} went live in that run; its journal does not "
                                    "say from which commit, so it is not recorded: check `history`")
            continue
        finding.messages.append(f"{name}: version {version} went live in that run and was not in the ledger"
                                + ("; recorded now as live (its checks never finished)" if record else ""))
        if record:
            ledger.record(function=name, action=str(intent.get("action", "deploy")), commit=intent["commit"],
                          content_hash=intent["content_hash"], version=version, outcome="live",
                          user=str(intent.get("user") or "unknown"), run_id=finding.run_id,
                          dirty=bool(intent.get("dirty")),
                          note=f"recorded late by run {ctx.journal.run_id}: run {finding.run_id} did not finish")
            finding.recorded.append(name)


def _check_push(ctx: StepContext, events: list[dict[str, Any]], finding: Finding) -> None:
    from orchestrator.steps.migrations import MigrationsStep, version_of

    pushes = [i for i, e in enumerate(events) if e["event"] == "push_start"]
    if not pushes:
        return
    after = events[pushes[-1] + 1:]
    if any((e["event"] == "migrations" and e.get("outcome") != "unknown") or e["event"] == "interrupted"
           for e in after):
        return  # the push ended and was accounted for
    pending = [str(p) for p in events[pushes[-1]].get("pending") or []]
    recorded = MigrationsStep().recorded_versions(ctx)
    applied = [p for p in pending if version_of(p) in recorded]
    missing = [p for p in pending if version_of(p) not in recorded]
    finding.messages.append(f"a db push was in flight: applied {', '.join(applied) or 'none'}; "
                            f"not applied {', '.join(missing) or 'none'}")


def _report(ctx: StepContext, finding: Finding, recorded: bool) -> None:
    if not finding.messages:
        finding.messages.append("nothing was in flight")
    how = "ended leaving work to check" if finding.ended else "did not finish (killed?)"
    ctx.ui.warn(f"run {finding.run_id} {how} in {ctx.env_name}:")
    for message in finding.messages:
        ctx.ui.warn(f"  {message}")
    ctx.journal.write("reconciled", env=ctx.env_name, run=finding.run_id, messages=finding.messages,
                      recorded=finding.recorded, dry_run=not recorded)


def _mark(path: Path, ctx: StepContext, finding: Finding) -> None:
    """Note beside the old journal (never in it: it stays as the run left it) that this environment
    was checked, so no later run does it again."""
    line = json.dumps({"ts": now_iso(), "env": ctx.env_name, "by_run": ctx.journal.run_id,
                       "recorded": finding.recorded})
    try:
        with os.fdopen(open_private(_marker(path), "a"), "a", encoding="utf-8") as fh:
            fh.write(ctx.redactor(line) + "\n")
    except (OrchestratorError, OSError) as exc:
        ctx.ui.warn(f"could not mark {path} as checked ({exc})")


def _marker(path: Path) -> Path:
    return path.with_suffix(".reconciled")


def _marked(path: Path, env: str) -> bool:
    try:
        lines = _marker(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    for line in lines:
        try:
            if json.loads(line).get("env") == env:
                return True
        except (ValueError, AttributeError):
            continue
    return False
