"""Nothing waits forever (issue 11): every question has a timeout, answers come from a fixed set,
and a missing --approve without a terminal is found before the first environment starts."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fn_helpers import GIT_ENV, Terminal, git
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.journal import read_events

PLAYBOOK = """\
version: 1
name: pauses
project_dir: .
environments:
  staging:
    project_ref: abcdefghijklmnopqrst
  production:
    project_ref: zyxwvutsrqponmlkjihg
    requires_approval: true
steps:
  - pause: {message: "check the dashboard"}
"""


def _project(root: Path) -> Path:
    (root / "supabase").mkdir(parents=True)
    (root / "orchestrator.yaml").write_text(PLAYBOOK)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}, **GIT_ENV, "CI": ""}


def test_a_pause_nobody_answers_stops_at_the_prompt_timeout(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    started = time.monotonic()
    term = Terminal(["run", "orchestrator.yaml", "--env", "staging", "--prompt-timeout", "2s"], root, _env())
    term.expect("check the dashboard")
    code, text = term.finish(timeout=60)
    assert code == 4, text
    assert "pause timed out after 2.0s" in text and time.monotonic() - started < 45


def test_an_answer_outside_the_set_asks_again(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    term = Terminal(["run", "orchestrator.yaml", "--env", "staging"], root, _env())
    term.expect("a to abort")
    term.send("wait a sec")  # used to mean "continue"
    term.expect("press Enter (or c) to continue, or a to abort")
    term.send("a")
    code, text = term.finish(timeout=60)
    assert code == 4 and "stopped at pause" in text, text


def test_no_terminal_and_no_approve_stops_before_the_first_environment(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    here = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, ["run", "orchestrator.yaml", "--env", "staging", "--env", "production",
                                          "--yes"], env=_env())
    finally:
        os.chdir(here)
    assert result.exit_code == 4, result.output
    assert "production requires approval and there is no terminal to ask: pass --approve" in result.output
    events = list(read_events(next((root / ".orchestrator" / "runs").glob("*.jsonl"))))
    assert not [e for e in events if e["event"] == "env_start"]  # staging was not touched either


def test_the_approval_prompt_shows_what_is_approved(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    term = Terminal(["run", "orchestrator.yaml", "--env", "production"], root, _env())
    shown = term.expect("requires approval. Run 1 step(s) of release")
    assert "what production would get (project zyxwvutsrqponmlkjihg" in shown
    assert "pause for a human: check the dashboard" in shown
    term.send("maybe")  # not an answer: asked again
    term.expect("answer y or n")
    term.send("n")
    code, text = term.finish(timeout=60)
    assert code == 4 and "not confirmed" in text, text
