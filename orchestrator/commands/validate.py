"""`orchestrator validate PLAYBOOK`: parse and check; change nothing."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.commands.common import Session, open_playbook, project_notes


def validate(s: Session, playbook: str, envs: Sequence[str] = ()) -> int:
    pb = open_playbook(s, playbook, list(envs) or None)
    warnings = project_notes(s, pb)
    info = {"valid": True, "playbook": str(pb.path), "name": pb.name, "project_dir": str(pb.project.root),
            "environments": list(pb.model.environments), "steps": [f"{p.kind}" for p in pb.steps],
            "warnings": warnings}
    if s.ui.json_mode:
        s.ui.emit_json(info)
        return 0
    s.ui.ok(f"{pb.path.name}: playbook '{pb.name}' is valid")
    for note in warnings:
        s.ui.warn(note)
    s.ui.line(f"project: {pb.project.root}")
    s.ui.line(f"environments: {', '.join(pb.model.environments)}")
    for spec in pb.steps:
        s.ui.line(f"  {spec.index + 1}. {spec.kind}" + (f" ({spec.name})" if spec.name else ""))
    return 0
