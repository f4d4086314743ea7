"""`orchestrator history [--env E] [FUNCTION]`: the deploy ledger of one or every environment."""

from __future__ import annotations

from dataclasses import asdict

from orchestrator.commands.common import Session
from orchestrator.commands.settings import context, load_settings
from orchestrator.errors import OrchestratorError
from orchestrator.ledger import Entry
from orchestrator.rollback import ledger_for

COLUMNS = ["env", "function", "action", "commit", "version", "outcome", "when", "who", "run"]


def history(s: Session, env: str | None, function: str | None, playbook: str | None) -> int:
    pb = load_settings(s, playbook, [env] if env else None)
    entries: list[Entry] = []
    errors: list[str] = []
    for name in [env] if env else list(pb.model.environments):
        try:
            entries += ledger_for(context(s, pb, name)).entries(function)
        except OrchestratorError as exc:  # one unreachable environment must not hide the others
            errors.append(f"{name}: {exc}")
            s.ui.warn(f"history of {name} unavailable: {exc}")
    entries.sort(key=lambda e: e.deployed_at, reverse=True)
    if s.ui.json_mode:
        s.ui.emit_json({"entries": [asdict(e) for e in entries], "errors": errors})
    elif entries:
        s.ui.table("Deploy history" + (f" of {function}" if function else ""), COLUMNS, [_row(e) for e in entries])
    else:
        s.ui.line("no deploys recorded" + (f" for {function}" if function else "")
                  + (f" in {env}" if env else ""))
    return 1 if errors else 0


def _row(e: Entry) -> tuple[str, ...]:
    outcome = e.outcome + (" (dirty tree)" if e.dirty else "")
    version = "" if e.platform_version is None else str(e.platform_version)
    return (e.environment, e.function_name, e.action, e.git_commit[:12], version, outcome, e.deployed_at[:19],
            e.deployed_by, e.run_id or "")
