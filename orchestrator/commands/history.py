"""`orchestrator history [--env E] [FUNCTION]`: the deploy ledger of one or every environment."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orchestrator import releases
from orchestrator.commands.common import Session
from orchestrator.commands.settings import context, load_settings
from orchestrator.errors import OrchestratorError
from orchestrator.ledger import Entry, Ledger
from orchestrator.rollback import ledger_for

COLUMNS = ["env", "function", "action", "commit", "version", "outcome", "when", "who", "run"]


def history(s: Session, env: str | None, function: str | None, playbook: str | None) -> int:
    pb = load_settings(s, playbook, [env] if env else None)
    entries: list[Entry] = []
    runs: list[dict[str, Any]] = []
    errors: list[str] = []
    for name in [env] if env else list(pb.model.environments):
        try:
            query = ledger_for(context(s, pb, name)).query
            entries += Ledger(query, name).entries(function)
            runs += [] if function else releases.recent(query, name)
        except OrchestratorError as exc:  # one unreachable environment must not hide the others
            errors.append(f"{name}: {exc}")
            s.ui.warn(f"history of {name} unavailable: {exc}")
    entries.sort(key=lambda e: e.deployed_at, reverse=True)
    runs.sort(key=lambda r: str(r.get("finished_at")), reverse=True)
    if s.ui.json_mode:
        s.ui.emit_json({"entries": [asdict(e) for e in entries], "runs": runs, "errors": errors})
    elif entries or runs:
        if runs:
            s.ui.table("Runs", ["env", "run", "release", "commit", "outcome", "run by", "approved by", "finished"],
                       [(r["environment"], r["run_id"], r["release"], str(r.get("git_commit") or "")[:12],
                         r["outcome"], r["run_by"], r.get("approved_by") or "-", str(r["finished_at"])[:19])
                        for r in runs])
        if entries:
            s.ui.table("Deploy history" + (f" of {function}" if function else ""), COLUMNS,
                       [_row(e) for e in entries])
    else:
        s.ui.line("no deploys recorded" + (f" for {function}" if function else "")
                  + (f" in {env}" if env else ""))
    return 1 if errors else 0


def _row(e: Entry) -> tuple[str, ...]:
    outcome = e.outcome + (" (dirty tree)" if e.dirty else "")
    version = "" if e.platform_version is None else str(e.platform_version)
    return (e.environment, e.function_name, e.action, e.git_commit[:12], version, outcome, e.deployed_at[:19],
            e.deployed_by, e.run_id or "")
