"""`orchestrator rollback FUNCTION --env E --to REF|last-good`: emergency redeploy of one function
from an earlier commit, without a playbook run. Writes a journal like a run does."""

from __future__ import annotations

import getpass

from orchestrator import __version__
from orchestrator.commands.common import Session
from orchestrator.commands.settings import bare_playbook, context, load_settings
from orchestrator.errors import InputError, OrchestratorError
from orchestrator.journal import Journal
from orchestrator.playbook.models import Playbook
from orchestrator.rollback import resolve_target, rollback_function


def rollback(s: Session, function: str, env: str, to: str, playbook: str | None, project_ref: str | None) -> int:
    pb = _settings(s, env, playbook, project_ref)
    journal = Journal.create(pb.project.root, s.redactor)
    ctx = context(s, pb, env, journal)
    journal.write("run_start", command="rollback", function=function, env=env, to=to, playbook=str(pb.path),
                  project_ref=ctx.env.project_ref, user=getpass.getuser(), orchestrator=__version__)
    code, error = 130, "interrupted"
    try:
        sha = resolve_target(ctx, function, to)
        result = rollback_function(ctx, function, sha)
        code, error = 0, ""
    except OrchestratorError as exc:
        code, error = exc.exit_code, str(exc)
        raise
    finally:
        journal.write("run_end", outcome="succeeded" if code == 0 else "failed", exit_code=code, error=error)
        journal.close()
    if s.ui.json_mode:
        s.ui.emit_json({"function": function, "environment": env, "commit": result.commit,
                        "version": result.version, "run_id": journal.run_id, "journal": str(journal.path)})
    else:
        s.ui.line(f"journal: {journal.path}", style="dim")
    return 0


def _settings(s: Session, env: str, playbook: str | None, project_ref: str | None) -> Playbook:
    if project_ref and playbook:
        raise InputError("pass either --playbook or --project-ref, not both")
    if project_ref:
        return bare_playbook(env, project_ref)
    return load_settings(s, playbook, [env])
