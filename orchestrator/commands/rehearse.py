"""`orchestrator rehearse PLAYBOOK --env E`: the playbook's `rehearse` step on its own (its settings,
or the defaults when the playbook has none): pending migrations applied to a throwaway copy of
the environment's schema, with the locks and rewrites measured. Changes nothing in the environment."""

from __future__ import annotations

from orchestrator.commands.common import Session, open_playbook
from orchestrator.errors import OrchestratorError
from orchestrator.journal import Journal, now_iso
from orchestrator.runner import Runner
from orchestrator.steps.rehearse import RehearseConfig, RehearseStep, last_rehearsal


def rehearse(s: Session, playbook: str, env: str) -> int:
    pb = open_playbook(s, playbook, [env])
    config = next((spec.config for spec in pb.steps if spec.kind == "rehearse"), RehearseConfig.model_validate({}))
    journal = Journal.create(pb.project.root, s.redactor)
    ctx = Runner(pb, s.common.run_options(), s.ui, s.redactor, s.environ, journal).context(env)
    s.ui.step(f"rehearse {env}: pending migrations on a throwaway copy of its schema")
    started = now_iso()
    try:
        outcome = RehearseStep().run(config, ctx)
    except OrchestratorError as exc:
        if s.ui.json_mode:  # what the rehearsal measured up to the failure, when it got that far
            found = last_rehearsal(ctx) or {}
            last = {k: v for k, v in found.items() if k != "error"} if found.get("at", "") >= started else {}
            s.ui.emit_json({"environment": env, "outcome": "failed", "exit_code": exc.exit_code,
                            "error": str(exc), **last})
        raise
    finally:
        journal.close()
    if s.ui.json_mode:
        s.ui.emit_json({"environment": env, "outcome": "succeeded", "exit_code": 0, **outcome.details})
    else:
        s.ui.ok(outcome.summary)
    return 0
