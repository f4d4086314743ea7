"""Rollback on the layouts real projects use (issue 9), with the real CLI as the oracle: what a
rollback to commit A uploads must equal, file for file, what the CLI uploaded when it deployed a
clean checkout of A. Commit A is deployed with supabase 2.122.1 (which still accepts `[inbucket]`
and email templates the way older configs name them); B upgrades nothing but the code; the
rollback runs with supabase 3.1.0, which rejects A's config.toml as a whole."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fn_helpers import Project, git, started_target

from orchestrator.local.target import LocalTarget
from orchestrator.tools import local_supabase

PLAYBOOK = """\
version: 1
name: layouts
environments:
  {env}:
    project_ref: ${{REF}}
    api_url: ${{API_URL}}
    functions_url: ${{FUNCTIONS_URL}}
    db_url: ${{DB_URL}}
steps:
  - functions:
      names: [{names}]
      checks: {{settle: 0s}}
      pause: never
"""


def _layouts(p: str) -> dict[str, str]:
    """One function per layout; `p` keeps names apart between tests on the shared target."""
    return {
        "supabase/config.toml": (
            'project_id = "layouts"\n[inbucket]\nenabled = true\nport = 54324\n'
            '[auth]\nsigning_keys_path = "./signing_keys.json"\n'
            '[auth.email.template.invite]\nsubject = "Join"\ncontent_path = "./supabase/templates/invite.html"\n'
            f'[functions.{p}-static]\nstatic_files = ["./assets/*.html"]\n'
            f'[functions.{p}-mapped]\nimport_map = "./import_map.json"\nverify_jwt = false\n'),
        "supabase/templates/invite.html": "<p>join</p>\n",
        "supabase/signing_keys.json": "[]\n",
        "supabase/assets/mail.html": "<p>mail</p>\n",
        "supabase/import_map.json": '{"imports": {"#lib/": "./lib/"}}\n',
        "supabase/lib/money.ts": "export const cents = (n: number) => Math.round(n * 100);\n",
        "supabase/functions/import_map.json": '{"imports": {"@backend/": "./_backend/"}}\n',  # the shared fallback
        "supabase/functions/_backend/db.ts": 'export const db = "v1";\n',
        "supabase/functions/shared/util.ts": 'export const util = "v1";\n',
        "supabase/functions/shared/unused.ts": "export const unused = 1;\n",
        "supabase/functions/auth-types.ts": 'export type Role = "admin";\n',
        f"supabase/functions/{p}-shared/index.ts": 'import { util } from "../shared/util.ts";\n'
                                                   'import type { Role } from "../auth-types.ts";\n'
                                                   'Deno.serve(() => new Response(util));\n',
        f"supabase/functions/{p}-alias/index.ts": 'import { db } from "@backend/db.ts";\n'
                                                  'Deno.serve(() => new Response(db));\n',
        f"supabase/functions/{p}-jsonc/deno.jsonc": '{\n  // per function\n  "imports": {"~/": "../shared/"},\n}\n',
        f"supabase/functions/{p}-jsonc/index.ts": 'import { util } from "~/util.ts";\n'
                                                  'Deno.serve(() => new Response(util));\n',
        f"supabase/functions/{p}-mapped/index.ts": 'import { cents } from "#lib/money.ts";\n'
                                                   'Deno.serve(() => new Response(String(cents(1))));\n',
        f"supabase/functions/{p}-static/index.ts": 'Deno.serve(() => new Response("static"));\n',
        # import_map.json in the function's folder: supabase 2 reads it, supabase 3 refuses it
        # ("no longer supported") unless config.toml names it
        f"supabase/functions/{p}-legacy/import_map.json": '{"imports": {"~lib/": "../shared/"}}\n',
        f"supabase/functions/{p}-legacy/index.ts": 'import { util } from "~lib/util.ts";\n'
                                                   'Deno.serve(() => new Response(util));\n',
    }


KINDS = ("shared", "alias", "jsonc", "mapped", "static", "legacy")


@pytest.fixture
def layouts(tmp_path: Path, target: LocalTarget) -> tuple[Project, str]:
    if local_supabase(2) is None:
        pytest.skip("supabase 2.x not installed")
    p = "l" + secrets.token_hex(2)
    names = [f"{p}-{k}" for k in KINDS]
    proj = Project(tmp_path / "repo", f"env_{p}", names, target)
    for path, text in _layouts(p).items():
        (proj.root / path).parent.mkdir(parents=True, exist_ok=True)
        (proj.root / path).write_text(text)
    (proj.root / "orchestrator.yaml").write_text(PLAYBOOK.format(env=proj.env, names=", ".join(names)))
    git(proj.root, "init", "-q", "-b", "main")
    return proj, p


def test_rollback_uploads_what_a_clean_checkout_of_a_uploaded(layouts: tuple[Project, str]) -> None:
    proj, p = layouts
    commit_a = proj.commit("A")
    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env, SUPABASE_CLI=str(local_supabase(2)))
    assert code == 0, out
    oracle = {n: proj.live_files(n) for n in proj.names}  # what the CLI uploaded from the clean checkout of A
    assert f"{p}-shared/index.ts" in oracle[f"{p}-shared"] and len(oracle[f"{p}-shared"]) >= 3

    # B: shared code changes (only the shared files), the templates move, [inbucket] goes (CLI 3 refuses it).
    root = proj.root
    (root / "supabase/functions/shared/util.ts").write_text('export const util = "v2";\n')
    (root / "supabase/functions/_backend/db.ts").write_text('export const db = "v2";\n')
    (root / "supabase/lib/money.ts").write_text("export const cents = (n: number) => n * 100;\n")
    (root / "supabase/templates/invite.html").unlink()
    (root / "supabase/signing_keys.json").unlink()
    legacy = root / f"supabase/functions/{p}-legacy"
    (legacy / "import_map.json").rename(legacy / "deno.json")  # what supabase 3 asks for
    config = (root / "supabase/config.toml").read_text()
    (root / "supabase/config.toml").write_text(config.split("[inbucket]")[0] + "[functions" + config.split("[functions", 1)[1])
    proj.commit("B: shared code v2")
    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env)
    assert code == 0, out
    # Every function changed: the fallback import map sends _backend/ with each function that has
    # no map of its own (the static one too), as the CLI does.
    assert [n for n in proj.names if proj.live_files(n) == oracle[n]] == []
    assert "_backend/db.ts" not in oracle[f"{p}-jsonc"] and "_backend/db.ts" in oracle[f"{p}-static"]
    code, out = proj.invoke("plan", "orchestrator.yaml", "--env", proj.env)
    assert out.count("unchanged since last deploy") == len(KINDS), out

    for name in proj.names:
        code, out = proj.invoke("rollback", name, "--env", proj.env, "--to", commit_a, "--yes")
        assert code == 0, out
        assert proj.live_files(name) == oracle[name], name
    assert git(root, "status", "--porcelain") == ""


def test_a_function_deleted_in_head_can_be_rolled_back(layouts: tuple[Project, str]) -> None:
    proj, p = layouts
    gone = f"{p}-alias"
    commit_a = proj.commit("A")
    assert proj.invoke("run", "orchestrator.yaml", "--env", proj.env, SUPABASE_CLI=str(local_supabase(2)))[0] == 0
    oracle = proj.live_files(gone)
    git(proj.root, "rm", "-q", "-r", f"supabase/functions/{gone}")
    proj.commit("B: alias removed from the repository (still live)")
    code, out = proj.invoke("rollback", gone, "--env", proj.env, "--to", commit_a, "--yes")
    assert code == 0, out
    assert proj.live_files(gone) == oracle


@pytest.fixture(scope="module")
def oracle_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    """A second local target, where the plain CLI deploys a clean checkout (the oracle)."""
    yield from started_target(tmp_path_factory, "oracle-target")


def plain_cli_deploy(cli: Path, checkout: Path, name: str, target: LocalTarget) -> dict[str, bytes]:
    """`supabase functions deploy NAME` run by hand in `checkout` (its own config.toml), and what went live."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}, **target.cli_env(),
           "SUPABASE_HOME": str(checkout.parent / "supabase-home"), "NO_COLOR": "1"}
    done = subprocess.run([str(cli), "--workdir", str(checkout), "--yes", "functions", "deploy", name, "--use-api",
                           f"--project-ref={target.project_ref}"], env=env, cwd=checkout, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed to read file" not in done.stdout + done.stderr
    versions = target.client.function_versions(name)
    return target.client.function_files(name, versions[-1].version)


def test_forward_deploys_with_cli3_upload_what_the_cli_uploads_from_a_clean_checkout(
        layouts: tuple[Project, str], oracle_target: LocalTarget, tmp_path: Path) -> None:
    """A config.toml supabase 3 refuses ([inbucket], an import_map.json in a function folder) does
    not block the orchestrator's deploys, and what goes live equals, file for file, what supabase
    2 (which accepts that config) uploads when a human deploys a clean checkout by hand."""
    proj, p = layouts
    commit = proj.commit("A")
    checkout = tmp_path / "clean"
    git(proj.root, "worktree", "add", "-q", "--detach", str(checkout), commit)
    cli2, cli3 = local_supabase(2), local_supabase(3)
    assert cli2 is not None and cli3 is not None
    oracle = {n: plain_cli_deploy(cli2, checkout, n, oracle_target) for n in proj.names}
    refused = subprocess.run([str(cli3), "--workdir", str(checkout), "--yes", "functions", "deploy", proj.names[0],
                              "--use-api", f"--project-ref={oracle_target.project_ref}"],
                             env={**os.environ, **oracle_target.cli_env()}, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=300, check=False)
    assert refused.returncode != 0 and "inbucket" in refused.stdout + refused.stderr  # the premise

    code, out = proj.invoke("run", "orchestrator.yaml", "--env", proj.env, SUPABASE_CLI=str(cli3))
    assert code == 0, out
    assert {n: proj.live_files(n) for n in proj.names} == oracle
    assert oracle[f"{p}-legacy"].keys() == {f"{p}-legacy/import_map.json", f"{p}-legacy/index.ts", "shared/util.ts",
                                            "shared/unused.ts"}
