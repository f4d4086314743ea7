"""`orchestrator run PLAYBOOK --env E [--env E2 ...]`: a staged rollout, one environment at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestrator import release_file
from orchestrator.commands.common import Session, open_playbook
from orchestrator.errors import InputError
from orchestrator.fingerprint import tree_state
from orchestrator.journal import Journal
from orchestrator.playbook.models import Playbook
from orchestrator.runner import Runner, print_summary


def run(s: Session, playbook: str, envs: Sequence[str], release: Path | None = None) -> int:
    if not envs:
        raise InputError("run needs --env (repeat it for a staged rollout: --env staging --env production)")
    pb = open_playbook(s, playbook, list(envs))
    if release is None:
        return execute(s, pb, list(envs))
    if len(envs) != 1:
        raise InputError("--release ships one planned release to one environment: pass one --env")
    planned = release_file.read(release)
    tree = tree_state(pb)
    release_file.check(release, planned, env=envs[0], playbook_sha=pb.sha256, tree=tree)
    s.ui.ok(f"checkout matches release {planned['release']} (commit {str(planned.get('commit'))[:12]})")
    return execute(s, pb, list(envs), tree=tree, planned=planned)


def execute(s: Session, pb: Playbook, envs: list[str], *, done: frozenset[tuple[str, int]] = frozenset(),
            resumed_from: str | None = None, tree: dict[str, Any] | None = None,
            planned: dict[str, Any] | None = None) -> int:
    require_git(pb)
    journal = Journal.create(pb.project.root, s.redactor)
    options = replace(s.common.run_options(), planned=planned)
    runner = Runner(pb, options, s.ui, s.redactor, s.environ, journal, done)
    s.ui.step(f"run {journal.run_id}: playbook '{pb.name}' -> {' then '.join(envs)}")
    report = runner.run(envs, resumed_from=resumed_from, tree=tree if tree is not None else tree_state(pb))
    doc = report.as_json()
    publish(s, doc)
    if s.ui.json_mode:
        s.ui.emit_json(doc)
    else:
        print_summary(s.ui, report)
    return report.exit_code


def publish(s: Session, doc: dict[str, Any]) -> None:
    """--report-junit / --report-markdown files; under GitHub Actions the job summary and `::error`
    annotations. A report that cannot be written is a warning: the release itself is done."""
    from orchestrator import github_actions, report

    written = {s.common.report_junit: report.junit, s.common.report_markdown: report.markdown}
    for path, render in written.items():
        if path is None:
            continue
        try:
            path.write_text(s.redactor(render(doc)), encoding="utf-8")
        except OSError as exc:
            s.ui.warn(f"could not write the report {path} ({exc.strerror})")
    if github_actions.active(s.environ):
        github_actions.append_summary(s.environ, s.redactor(report.markdown(doc)))
        for line in report.github_annotations(doc):
            s.ui.line(line)


def require_git(pb: Playbook) -> None:
    """Functions are deployed (and rolled back) from git commits: without a repository holding a
    commit, say so before anything runs, not after the migrations went out."""
    if not any(spec.kind == "functions" for spec in pb.steps):
        return
    from orchestrator.adapters.git import Git

    try:
        Git.at(pb.project.root).head()
    except InputError:
        raise InputError(f"{pb.project.root} is not in a git repository with a commit: functions are deployed "
                         "and rolled back from commits. Run `git init` and commit, or point project_dir at a "
                         "checkout") from None
