"""Fixtures: one local target for the session, a fresh three-function git project per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fn_helpers import GOOD, SHARED, Project, git, started_target

from orchestrator.local.target import LocalTarget


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    yield from started_target(tmp_path_factory, "functions-target")


@pytest.fixture
def project(tmp_path: Path, target: LocalTarget) -> Project:
    """Commit A: three good functions importing _shared/greet.ts, config.toml, orchestrator.yaml."""
    prefix = "t" + secrets.token_hex(3)
    proj = Project(tmp_path / "repo", f"env_{prefix}", [f"{prefix}-{n}" for n in ("alpha", "beta", "gamma")],
                   target)
    shared = proj.root / "supabase" / "functions" / "_shared"
    shared.mkdir(parents=True)
    (shared / "greet.ts").write_text(SHARED)
    (proj.root / "supabase" / "config.toml").write_text('project_id = "e2e"\n')
    for name in proj.names:
        proj.write(name, GOOD)
    git(proj.root, "init", "-q", "-b", "main")
    git(proj.root, "config", "user.name", "Test Engineer")
    git(proj.root, "config", "user.email", "test@example.com")
    proj.playbook()
    target.client.clear_faults()
    return proj


