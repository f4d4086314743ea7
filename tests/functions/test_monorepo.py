"""A project whose supabase/ sits below the git root (apps/demo/supabase), as in monorepos:
deploy, ledger, plan and rollback all work with paths relative to the repository top."""

from __future__ import annotations

import secrets
from pathlib import Path

from fn_helpers import CHANGED, GOOD, SHARED, Project, git

from orchestrator.local.target import LocalTarget


def _monorepo(tmp_path: Path, target: LocalTarget) -> Project:
    top = tmp_path / "mono"
    prefix = "m" + secrets.token_hex(3)
    proj = Project(top / "apps" / "demo", f"env_{prefix}", [f"{prefix}-alpha"], target)
    (proj.root / "supabase" / "functions" / "_shared").mkdir(parents=True)
    (proj.root / "supabase" / "functions" / "_shared" / "greet.ts").write_text(SHARED)
    (proj.root / "supabase" / "config.toml").write_text('project_id = "mono"\n')
    (top / "package.json").write_text("{}\n")  # something else lives at the top
    proj.write(proj.names[0], GOOD)
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.name", "Test Engineer")
    git(top, "config", "user.email", "test@example.com")
    path = proj.playbook()
    path.write_text(path.read_text().replace("name: functions-e2e\n", "name: functions-e2e\nproject_dir: .\n"))
    return proj


def test_deploy_plan_and_rollback_in_a_nested_project(tmp_path: Path, target: LocalTarget) -> None:
    proj = _monorepo(tmp_path, target)
    alpha = proj.names[0]
    commit_a = proj.commit("A")
    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env)
    assert code == 0, out
    assert [(r["function_name"], r["git_commit"], r["outcome"]) for r in proj.ledger()] == [(alpha, commit_a, "ok")]
    code, out = proj.invoke("plan", "orchestrator.yaml", "--env", proj.env)
    assert code == 0 and "unchanged since last deploy" in out, out

    proj.write(alpha, CHANGED)
    proj.commit("B")
    assert proj.invoke("run", "orchestrator.yaml", "--env", proj.env)[0] == 0
    code, out = proj.invoke("rollback", alpha, "--env", proj.env, "--to", "last-good", "--yes",
                            "--playbook", "orchestrator.yaml")
    assert code == 0, out
    live = proj.live_files(alpha)
    assert live[f"{alpha}/index.ts"] == GOOD.replace("{name}", alpha).encode()
    assert live["_shared/greet.ts"] == SHARED.encode()
    assert proj.ledger()[-1]["git_commit"] == commit_a


def test_clean_git_looks_at_the_project_folder_only(tmp_path: Path, target: LocalTarget) -> None:
    proj = _monorepo(tmp_path, target)
    path = proj.root / "orchestrator.yaml"
    path.write_text(path.read_text().replace("steps:\n", "steps:\n  - preflight: {clean_git: true, require_token: false}\n"))
    proj.commit("A")
    (proj.root.parent.parent / "package.json").write_text('{"other": "app"}\n')  # another app's edit
    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env)
    assert code == 0, out
    (proj.root / "supabase" / "functions" / "_shared" / "greet.ts").write_text(SHARED + "// edited\n")
    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env)
    assert code == 1 and "apps/demo/supabase/functions/_shared/greet.ts" in out, out


def test_an_import_map_reaching_outside_the_project_folder_is_refused_before_anything_runs(
        tmp_path: Path, target: LocalTarget) -> None:
    """Seen in a public monorepo: apps/backend/supabase/functions/api/deno.json maps `@models/` to
    `../../../../../packages/models/src/` (the repository's packages/). Neither CLI can upload it
    (3.1.0 and 2.122.1 both exit 1: `failed to read file: open ../../packages/...: invalid
    argument`, measured on a clean checkout); validate said nothing and every run, plan and
    rollback of that function stopped with exit 2 on an internal path
    (`apps/demo/../../packages/models/src: expected a path inside the repository`)."""
    proj = _monorepo(tmp_path, target)
    alpha = proj.names[0]
    top = proj.root.parent.parent
    (top / "packages" / "models" / "src").mkdir(parents=True)
    (top / "packages" / "models" / "src" / "api.ts").write_text('export const route = "/api";\n')
    folder = proj.root / "supabase" / "functions" / alpha
    (folder / "deno.json").write_text('{"imports": {"@models/": "../../../../../packages/models/src/"}}\n')
    (folder / "index.ts").write_text('import { route } from "@models/api.ts";\nDeno.serve(() => new Response(route));\n')
    proj.commit("A")
    for command in (("validate", "orchestrator.yaml"), ("run", "orchestrator.yaml", "--env", proj.env)):
        code, out = proj.invoke(*command)
        assert code == 2, out
        assert "expected a path inside the repository" not in out
        assert f"{alpha} imports files outside the project folder" in out and "../../packages/models/src" in out, out
    assert proj.sim.function_versions(alpha) == []
