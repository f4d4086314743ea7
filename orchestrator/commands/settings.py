"""Environment settings for commands that run no playbook (`rollback`, `history`).

Where they come from (spec): `--playbook FILE`; else `orchestrator.yaml` at the repository root;
else the only playbook in `playbooks/`. `rollback --project-ref REF` needs none: it builds a
minimal playbook around that project (API URL from ORCHESTRATOR_API_URL, ledger through the
Management API's database/query).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from orchestrator.commands.common import Session, open_playbook
from orchestrator.context import StepContext
from orchestrator.errors import InputError
from orchestrator.journal import Journal
from orchestrator.playbook.models import Environment, Playbook, PlaybookModel, ProjectInfo
from orchestrator.runner import Runner

DEFAULT_FILE = "orchestrator.yaml"


def repository_root(start: Path | None = None) -> Path:
    from orchestrator.adapters.git import Git

    return Git.root((start or Path.cwd()).resolve())


def find_playbook(root: Path) -> Path:
    """orchestrator.yaml at the repository root, else the only playbook in playbooks/."""
    if (root / DEFAULT_FILE).is_file():
        return root / DEFAULT_FILE
    folder = root / "playbooks"
    found = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    if len(found) == 1:
        return found[0]
    where = (f"{len(found)} playbooks in {folder}: pick one with --playbook" if found
             else f"no {DEFAULT_FILE} at {root} and no playbook in {folder}")
    raise InputError(f"which environment settings? {where}")


def load_settings(s: Session, playbook: str | None, envs: Sequence[str] | None) -> Playbook:
    """The playbook whose environments to use (only `envs` need resolvable ${VAR}s)."""
    path = Path(playbook) if playbook else find_playbook(repository_root())
    pb = open_playbook(s, path, list(envs) if envs else None, check_project=False)
    for env in envs or ():
        if env not in pb.model.environments:
            known = ", ".join(pb.model.environments)
            raise InputError(f"{pb.path}: no environment {env!r}; environments there: {known}")
    return pb


def bare_playbook(env: str, project_ref: str) -> Playbook:
    """A playbook with one environment and no steps, for `rollback --project-ref`."""
    try:
        environment = Environment.model_validate({"project_ref": project_ref})
    except ValidationError:
        raise InputError(f"--project-ref {project_ref!r}: expected 20 lowercase letters "
                         "(Project Settings > General)") from None
    model = PlaybookModel.model_construct(version=1, name="rollback", project_dir=None,
                                          environments={env: environment}, steps=[])
    return Playbook(Path(f"--project-ref {project_ref}"), "", model, (), ProjectInfo(_project_root()))


def _project_root() -> Path:
    """The nearest folder holding supabase/ between here and the repository root."""
    top, here = repository_root(), Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "supabase").is_dir():
            return folder
        if folder == top:
            break
    return top


def context(s: Session, pb: Playbook, env: str, journal: Journal | None = None) -> StepContext:
    """A step context for one environment; without a journal nothing is written."""
    journal = journal or Journal(path=Path(os.devnull), run_id="-", redact=s.redactor)
    return Runner(pb, s.common.run_options(), s.ui, s.redactor, s.environ, journal).context(env)
