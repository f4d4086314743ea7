"""`orchestrator run PLAYBOOK --env E [--env E2 ...]`: a staged rollout, one environment at a time."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.commands.common import Session, open_playbook
from orchestrator.errors import InputError
from orchestrator.journal import Journal
from orchestrator.playbook.models import Playbook
from orchestrator.runner import Runner, print_summary


def run(s: Session, playbook: str, envs: Sequence[str]) -> int:
    if not envs:
        raise InputError("run needs --env (repeat it for a staged rollout: --env staging --env production)")
    pb = open_playbook(s, playbook, list(envs))
    return execute(s, pb, list(envs))


def execute(s: Session, pb: Playbook, envs: list[str], *, done: frozenset[tuple[str, int]] = frozenset(),
            resumed_from: str | None = None) -> int:
    journal = Journal.create(pb.project.root, s.redactor)
    runner = Runner(pb, s.common.run_options(), s.ui, s.redactor, s.environ, journal, done)
    s.ui.step(f"run {journal.run_id}: playbook '{pb.name}' -> {' then '.join(envs)}")
    report = runner.run(envs, resumed_from=resumed_from)
    if s.ui.json_mode:
        s.ui.emit_json(report.as_json())
    else:
        print_summary(s.ui, report)
    return report.exit_code
