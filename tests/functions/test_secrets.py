"""Secrets the orchestrator reads itself (issue 12): a function that logs and returns the project's
service_role key must not put it in the output or the journal; journals are private files."""

from __future__ import annotations

import stat

from fn_helpers import Project

LEAKY = ('Deno.serve((_req) => {{\n'
         '  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";\n'
         '  console.error("leaking " + key);\n'
         '  return new Response("here it is: " + key, {{ status: 500 }});\n'
         '}});\n')


def test_a_service_role_key_logged_by_a_function_is_masked_everywhere(project: Project) -> None:
    alpha = project.names[0]
    project.write(alpha, LEAKY)
    project.playbook(names=[alpha], on_failure="continue")
    project.commit("leaky")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 1, out
    key = project.target.service_role_key
    assert "leaking ***" in out and "here it is: ***" in out, out  # the check ran and printed both
    assert key not in out
    journal_path = max((project.root / ".orchestrator" / "runs").glob("*.jsonl"))
    assert key not in journal_path.read_text()
    assert stat.S_IMODE(journal_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((project.root / ".orchestrator").stat().st_mode) == 0o700
