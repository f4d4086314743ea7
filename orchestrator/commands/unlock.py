"""`orchestrator unlock --env E`: break an environment's deploy lease, after showing who holds it."""

from __future__ import annotations

from orchestrator.commands.common import Session
from orchestrator.commands.settings import context, load_settings
from orchestrator.lease import Lease, break_lease
from orchestrator.rollback import ledger_for


def unlock(s: Session, env: str, playbook: str | None) -> int:
    pb = load_settings(s, playbook, [env])
    ctx = context(s, pb, env)
    query = ledger_for(ctx).query
    holder = Lease(query, env, run_id="unlock").holder()
    if holder is None:
        s.ui.ok(f"{env} has no deploy lease")
        if s.ui.json_mode:
            s.ui.emit_json({"environment": env, "held_by": None, "broken": None})
        return 0
    s.ui.warn(f"{env} is held by {holder.describe()}")
    ctx.prompter.confirm(f"Break the lease of {env}? Only do this if that run is dead.", action="unlock")
    gone = break_lease(query, env)
    s.ui.ok(f"lease of {env} broken (it belonged to run {gone})" if gone else f"{env} was released meanwhile")
    if s.ui.json_mode:
        s.ui.emit_json({"environment": env, "held_by": holder.describe(), "broken": gone})
    return 0
