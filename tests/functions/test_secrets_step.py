"""The secrets step (issue 11): set before the functions, through the guarded CLI, skipped when the
value is already set, and the value never in any output or journal."""

from __future__ import annotations

import hashlib

from fn_helpers import Project

STEPS = """\
steps:
  - secrets: {{from_env: [OPENAI_API_KEY, {extra}]}}
  - functions:
      names: [{name}]
      checks: {{settle: 0s}}
"""


def _playbook(project: Project, extra: str) -> None:
    text = (project.root / "orchestrator.yaml").read_text()
    head = text[:text.index("steps:")]
    (project.root / "orchestrator.yaml").write_text(head + STEPS.format(extra=extra, name=project.names[0]))


def test_a_secret_is_set_once_then_skipped_and_never_shown(project: Project) -> None:
    value = "canary-sk-" + "7" * 24
    _playbook(project, "STRIPE_KEY")
    project.commit("A")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--yes",
                               OPENAI_API_KEY=value, STRIPE_KEY="stripe-canary-0001")
    assert code == 0, out
    assert "set OPENAI_API_KEY, STRIPE_KEY" in out
    assert project.sim.secret_hashes()["OPENAI_API_KEY"] == hashlib.sha256(value.encode()).hexdigest()
    code, out2 = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--yes",
                                OPENAI_API_KEY=value, STRIPE_KEY="stripe-canary-0002")
    assert code == 0, out2
    assert "unchanged, not set again: OPENAI_API_KEY" in out2 and "set STRIPE_KEY" in out2
    journals = "".join(p.read_text() for p in (project.root / ".orchestrator" / "runs").glob("*.jsonl"))
    for text in (out, out2, journals):
        assert value not in text and "stripe-canary-000" not in text


def test_a_missing_value_stops_the_run_before_anything_changes(project: Project) -> None:
    _playbook(project, "NOT_SET_ANYWHERE")
    project.commit("A")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, OPENAI_API_KEY="x" * 12)
    assert code == 2, out
    assert "NOT_SET_ANYWHERE: not set in the environment or --env-file" in out
    assert project.sim.function_versions(project.names[0]) == []
    assert project.sim.secret_hashes().get("OPENAI_API_KEY") != hashlib.sha256(b"x" * 12).hexdigest()


def test_a_config_toml_supabase_3_refuses_does_not_block_secrets_or_deploys(project: Project) -> None:
    """supabase 3 exits 1 on `secrets set` and `functions deploy` in a project whose config.toml has
    `[inbucket]` (measured with 3.1.0); neither needs that config, so the CLI never reads it."""
    config = project.root / "supabase" / "config.toml"
    config.write_text(config.read_text() + "\n[inbucket]\nenabled = true\nport = 54324\n")
    _playbook(project, "STRIPE_KEY")
    project.commit("A")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--yes",
                               OPENAI_API_KEY="sk-" + "5" * 20, STRIPE_KEY="stripe-canary-0003")
    assert code == 0, out
    assert project.sim.secret_hashes()["STRIPE_KEY"] == hashlib.sha256(b"stripe-canary-0003").hexdigest()
    assert len(project.sim.function_versions(project.names[0])) == 1
