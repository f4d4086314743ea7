"""The conventions a CLI user expects (issue 13): --version, completion, choices in --help, CI
detection, one JSON document under --output json for every command and exit code, tools found on
PATH and installed per user, tables that wrap instead of cutting names."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator import __version__, tools
from orchestrator.commands.common import in_ci
from orchestrator.console import Console

ROOT = Path(__file__).resolve().parents[1]


def orchestrator(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as typed, in a child process (this checkout's code), no terminal."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd or ROOT, env=full, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120, check=False)


def test_version_and_completion() -> None:
    result = orchestrator("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"orchestrator {__version__}")
    completion = orchestrator("--show-completion", "bash")
    assert completion.returncode == 0 and "complete " in completion.stdout and "_COMPLETE" in completion.stdout


def test_help_lists_the_choices() -> None:
    assert "<text|json>" in orchestrator("run", "--help").stdout
    assert "--verbose" in orchestrator("run", "--help").stdout and "--debug" in orchestrator("plan", "--help").stdout
    assert "<text|json|github|sarif>" in orchestrator("lint", "--help").stdout
    assert orchestrator("lint", "--fail-on", "sometimes").returncode == 2
    bad = orchestrator("history", "--output", "yaml")
    assert bad.returncode == 2 and "'yaml' is not one of" in bad.stderr


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("yes", True), ("woodpecker", True),
                                           ("", False), ("false", False), ("0", False), ("FALSE", False)])
def test_ci_is_any_value_but_false_or_0(value: str, ci: bool) -> None:
    assert in_ci({"CI": value}) is ci


def _pb(tmp_path: Path) -> Path:
    (tmp_path / "supabase" / "functions" / "hello").mkdir(parents=True)
    (tmp_path / "supabase" / "functions" / "hello" / "index.ts").write_text("Deno.serve(() => new Response());\n")
    pb = tmp_path / "pb.yaml"
    pb.write_text("version: 1\nname: t\nproject_dir: .\nenvironments:\n  staging:\n"
                  "    project_ref: abcdefghijklmnopqrst\nsteps:\n  - functions: {names: [hello]}\n")
    return pb


@pytest.mark.parametrize("args", [
    ["validate", "{pb}"],  # succeeds
    ["validate", "nope.yaml"],  # no such playbook
    ["validate", "{pb}", "--env", "production"],  # unknown environment
    ["plan", "{pb}"],  # usage error: --env missing (typer's own, before any of our code)
    ["run", "{pb}", "--env", "staging", "--prompt-timeout", "soon"],
    ["run", "{pb}", "--env", "staging"],  # no git repository: refused before anything runs
    ["resume", "20990101T000000Z-abcdef", "--project-dir", "{dir}"],
    ["rollback", "hello", "--env", "staging", "--to", "HEAD", "--playbook", "{pb}"],
    ["unlock", "--env", "staging", "--playbook", "{pb}"],
    ["history", "--playbook", "{pb}"],
    ["local", "status", "--state-dir", "{dir}/nothing"],
    ["tools", "status"],
])
def test_output_json_is_exactly_one_document_for_every_command_and_exit_code(tmp_path: Path, args: list[str]) -> None:
    pb = _pb(tmp_path)
    argv = [a.format(pb=pb, dir=tmp_path) for a in args]
    result = orchestrator(*argv, "--output", "json", cwd=tmp_path, SUPABASE_ACCESS_TOKEN="", CI="true")
    doc = json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert isinstance(doc, dict), result.stdout
    if result.returncode != 0 and "exit_code" in doc:
        assert doc["exit_code"] == result.returncode
    if result.returncode == 2 and args[0] != "local":  # `local status` answers 2 for "nothing started"
        assert doc["outcome"] == "bad input" and doc["error"], doc
        assert doc["error"].splitlines()[0] in result.stderr  # and said to the human too


def test_tools_are_found_on_path_and_missing_ones_name_the_fix(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, line in (("supabase", "3.1.0"), ("deno", "deno 2.9.6 (stable)")):
        (bin_dir / name).write_text(f"#!/bin/sh\necho '{line}'\n")
        (bin_dir / name).chmod(0o755)
    empty = str(tmp_path / "no-tools")
    found = orchestrator("tools", "status", "-o", "json", ORCHESTRATOR_TOOLS_DIR=empty, PATH=f"{bin_dir}:/usr/bin:/bin")
    assert found.returncode == 0, found.stderr
    rows = {r["name"]: r for r in json.loads(found.stdout)["tools"]}
    assert rows["supabase"]["source"] == "PATH" and rows["supabase"]["version"] == "3.1.0"
    assert rows["deno"]["path"] == str(bin_dir / "deno")
    missing = orchestrator("tools", "status", ORCHESTRATOR_TOOLS_DIR=empty, PATH="/usr/bin:/bin")
    assert missing.returncode == 1 and "orchestrator tools install" in missing.stderr


def test_local_up_refuses_without_deno(tmp_path: Path) -> None:
    result = orchestrator("local", "up", "--state-dir", str(tmp_path / "state"), cwd=tmp_path,
                          ORCHESTRATOR_TOOLS_DIR=str(tmp_path / "no-tools"), PATH="/usr/bin:/bin")
    assert result.returncode == 2 and "deno not found" in result.stderr
    assert "orchestrator tools install" in result.stderr
    assert not (tmp_path / "state" / "target.json").exists()  # nothing was started


def test_tools_install_runs_npm_with_the_pins_once(tmp_path: Path) -> None:
    """A recording npm stands in for the registry; the real one is exercised by scripts/setup."""
    bin_dir, log = tmp_path / "bin", tmp_path / "npm.log"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text(
        "#!/bin/sh\n"
        f'echo "$PWD $*" >> {log}\n'
        'pkg="${5%@*}"; mkdir -p node_modules/.bin\n'
        'printf "#!/bin/sh\\necho 1.0\\n" > "node_modules/.bin/$pkg"; chmod +x "node_modules/.bin/$pkg"\n')
    (bin_dir / "npm").chmod(0o755)
    target = tmp_path / "cache"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "ORCHESTRATOR_TOOLS_DIR": str(target)}
    first = orchestrator("tools", "install", **env)
    assert first.returncode == 0, first.stderr
    calls = log.read_text().splitlines()
    assert calls == [f"{target / 'supabase-3'} install --no-audit --no-fund --loglevel=error supabase@3.1.0",
                     f"{target / 'deno'} install --no-audit --no-fund --loglevel=error deno@2.9.6"]
    assert tools.find("supabase", {"ORCHESTRATOR_TOOLS_DIR": str(target), "PATH": ""}) is not None
    again = orchestrator("tools", "install", **env)
    assert again.returncode == 0 and "already in" in again.stdout
    assert len(log.read_text().splitlines()) == 2  # nothing reinstalled
    no_npm = orchestrator("tools", "install", PATH="/nonexistent", ORCHESTRATOR_TOOLS_DIR=str(tmp_path / "x"))
    assert no_npm.returncode == 2 and "needs npm" in no_npm.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_table_wraps_names_instead_of_cutting_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = _Terminal()
    name = "create-task-with-a-rather-long-name"
    row = ("production", name, "42", "0123456789ab", "deploy", "rolled_back", "2026-12-01T05:00:00",
           "release-engineer@example.com", "checks failed: smoke GET -> 500 and 3 error(s) in the logs")
    Console(stdout=out).table("History", ["env", "function", "version", "commit", "action", "outcome", "when",
                                          "by", "note"], [row])
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.getvalue().splitlines()]
    assert "…" not in out.getvalue()
    assert max(len(line) for line in lines) <= 100
    body = [line.split("│") for line in lines if line.startswith("│")]
    assert "".join(cells[2].strip() for cells in body) == name  # folded over lines, whole


def test_a_table_off_a_terminal_is_as_wide_as_it_needs() -> None:
    out = io.StringIO()
    long = "x" * 150
    Console(stdout=out).table("T", ["a", "b"], [("short", long)])
    assert long in out.getvalue()  # one line: CI logs are read with grep
