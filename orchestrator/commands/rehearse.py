"""`orchestrator rehearse PLAYBOOK --env E`: the playbook's `rehearse` step on its own (its settings,
or the defaults when the playbook has none): pending migrations applied to a throwaway copy of
the environment's schema, with the locks and rewrites measured. Changes nothing in the environment."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from orchestrator.commands.common import Session, open_playbook
from orchestrator.errors import InputError, OrchestratorError
from orchestrator.journal import Journal, now_iso
from orchestrator.runner import Runner
from orchestrator.steps.rehearse import RehearseConfig, RehearseStep, last_rehearsal


def rehearse(s: Session, playbook: str | None = None, env: str | None = None, project_dir: Path | None = None) -> int:
    if playbook is None:
        if project_dir is None:
            raise InputError("rehearse needs PLAYBOOK --env E (pending migrations on a copy of that environment), "
                             "or --project-dir DIR (the whole history on a fresh Supabase baseline)")
        return whole_history(s, project_dir)
    if env is None:
        raise InputError("rehearse PLAYBOOK needs --env E (or give --project-dir DIR without a playbook)")
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


def whole_history(s: Session, project_dir: Path) -> int:
    """Every migration of the project on a fresh PostgreSQL with the Supabase baseline and declared
    stubs (orchestrator.rehearsal.history): 0 success (with or without stubs), 1 a failure."""
    from orchestrator.adapters.supabase_cli import SupabaseCli
    from orchestrator.playbook.models import ProjectInfo
    from orchestrator.rehearsal.history import replay
    from orchestrator.steps.migrations import major_version

    project = ProjectInfo(project_dir.absolute())
    if not project.migrations_dir.is_dir():
        raise InputError(f"{project.migrations_dir}: no migrations folder to rehearse")
    cli = SupabaseCli(SupabaseCli.locate(project.root, s.environ), workdir=project.root, env=dict(s.environ),
                      redactor=s.redactor)
    major = major_version(project)
    with s.ui.status(f"replaying {project.migrations_dir} on PostgreSQL {major} with the Supabase baseline"):
        try:
            result = replay(project.migrations_dir, cli, major=major)
        except FileNotFoundError as exc:
            raise InputError(str(exc)) from None
    if s.ui.json_mode:
        s.ui.emit_json({"project_dir": str(project.root), **asdict(result),
                        "exit_code": 0 if result.outcome != "failure" else 1})
    else:
        s.ui.line(f"{result.applied} of {result.files} file(s) applied on PostgreSQL {major} "
                  f"({result.seconds.get('total', 0):.1f}s)")
        if result.stubs:
            s.ui.warn(f"with stubs, not the real extensions: {', '.join(result.stubs)} (see README: Rehearsal)")
        if result.outcome == "failure":
            s.ui.error(f"{result.failed_at}: {result.error}")
        else:
            s.ui.ok(f"the whole history applies ({result.outcome})")
    return 1 if result.outcome == "failure" else 0
