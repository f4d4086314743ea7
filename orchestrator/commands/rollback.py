"""`orchestrator rollback FUNCTION --env E --to REF|last-good`: emergency redeploy of one function
from an earlier commit, without a playbook run. Writes a journal like a run does."""

from __future__ import annotations

import getpass
import re

from orchestrator import __version__
from orchestrator.commands.common import Session
from orchestrator.commands.settings import bare_playbook, context, load_settings
from orchestrator.errors import InputError, OrchestratorError
from orchestrator.interrupts import Interrupts, describe, exit_code
from orchestrator.journal import Journal
from orchestrator.lease import Lease
from orchestrator.playbook.models import Playbook
from orchestrator.rollback import ledger_for, resolve_target, rollback_function
from orchestrator.runner import reconcile_env
from orchestrator.steps.functions import SLUG


def rollback(s: Session, function: str, env: str, to: str, playbook: str | None, project_ref: str | None) -> int:
    if not re.match(SLUG, function):
        raise InputError(f"{function!r} is not a function name (letters, digits, '-' and '_', starting with a "
                         "letter)")
    pb = _settings(s, env, playbook, project_ref)
    journal = Journal.create(pb.project.root, s.redactor)
    ctx = context(s, pb, env, journal)
    journal.write("run_start", command="rollback", function=function, env=env, to=to, playbook=str(pb.path),
                  project_ref=ctx.env.project_ref, user=getpass.getuser(), orchestrator=__version__,
                  environments=[env])
    code, error, outcome = 3, "internal error", "failed"
    lease: Lease | None = None
    try:
        lease = Lease(ledger_for(ctx).query, env, journal.run_id)
        lease.acquire(s.common.lock_timeout)  # never two deployers of one environment, rollbacks included
        reconcile_env(ctx, record=True)  # a killed run's live-but-unrecorded deploy changes last-good
        sha = resolve_target(ctx, function, to)
        result = rollback_function(ctx, function, sha)
        code, error, outcome = 0, "", "succeeded"
    except OrchestratorError as exc:
        code, error = exc.exit_code, str(exc)
        raise
    except Interrupts as exc:
        code, error, outcome = exit_code(exc), describe(exc), "interrupted"
        raise
    finally:
        if lease is not None:
            lease.release()
        journal.write("run_end", outcome=outcome, exit_code=code, error=error)
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
