"""`orchestrator plan PLAYBOOK --env E`: what a run would do. Changes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestrator.commands.common import Session, open_playbook, project_notes
from orchestrator.commands.run import require_git
from orchestrator.journal import Journal
from orchestrator.runner import Runner, reconcile_env
from orchestrator.steps import REGISTRY


def plan(s: Session, playbook: str, env: str, out: Path | None = None) -> int:
    pb = open_playbook(s, playbook, [env])
    require_git(pb)
    # A plan writes no journal: it only reads (db push --dry-run, API lookups).
    journal = Journal(path=Path(os.devnull), run_id="plan", redact=s.redactor)
    ctx = Runner(pb, s.common.run_options(), s.ui, s.redactor, s.environ, journal).context(env)
    reconcile_env(ctx, record=False)  # a plan changes nothing: it only says what killed runs left live
    steps: list[dict[str, Any]] = []
    for spec in pb.steps:
        with s.ui.status(f"planning {spec.label}"):
            lines = REGISTRY[spec.kind].plan(spec.config, ctx)
        steps.append({"index": spec.index, "kind": spec.kind, "name": spec.name, "plan": lines})
    if out is not None:
        _write_release(s, pb, ctx, env, out)
    warnings = project_notes(s, pb)
    if s.ui.json_mode:
        s.ui.emit_json({"playbook": str(pb.path), "environment": env, "steps": steps, "warnings": warnings})
        return 0
    s.ui.step(f"plan for {env} (project {ctx.env.project_ref})")
    for note in warnings:
        s.ui.warn(note)
    for step in steps:
        s.ui.line(f"{step['index'] + 1}. {step['kind']}" + (f" ({step['name']})" if step["name"] else ""),
                  style="bold")
        for line in step["plan"]:
            s.ui.line(f"     {line}")
    return 0


def _write_release(s: Session, pb: Any, ctx: Any, env: str, out: Path) -> None:
    """The release a `run --release` will ship exactly: see orchestrator.release_file."""
    from orchestrator import release_file
    from orchestrator.fingerprint import tree_state
    from orchestrator.releases import release_id
    from orchestrator.steps.migrations import MigrationsStep
    from orchestrator.steps.secrets import values_for

    tree = tree_state(pb)
    pending = [p for spec in pb.steps if spec.kind == "migrations" for p in MigrationsStep().pending(spec.config, ctx)]
    secrets = {k: v for spec in pb.steps if spec.kind == "secrets" for k, v in values_for(spec.config, ctx.environ).items()}
    release = release_file.build(env=env, playbook_sha=pb.sha256, tree=tree, release=release_id(tree),
                                 pending=pending, secrets=secrets)
    release_file.write(out, release)
    s.ui.ok(f"release {release['release']} (commit {str(tree.get('head') or '?')[:12]}, {len(pending)} pending "
            f"migration(s), {len(release['functions'])} function(s), {len(secrets)} secret(s)) written to {out}")
