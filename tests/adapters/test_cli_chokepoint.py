"""Nothing spawns `supabase` without the guard seeing the exact argv first."""

from __future__ import annotations

import ast
import inspect
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from orchestrator.adapters import cli_guard, cli_profile
from orchestrator.adapters import supabase_cli as mod
from orchestrator.adapters.supabase_cli import SupabaseCli, Target
from orchestrator.errors import InputError, UnsafeCommandError
from orchestrator.redact import Redactor

SPAWNERS = {"Popen", "run", "call", "check_call", "check_output", "system", "popen", "execv", "execve",
            "execvp", "spawnv", "spawnvp", "posix_spawn", "create_subprocess_exec", "create_subprocess_shell",
            "fork", "forkpty"}


class FakePopen:
    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        self.argv, self.pid, self.returncode = argv, 999_999, 0
        self.stdout = io.BytesIO(b"3.1.0\n" if "--version" in argv else b"{}\n")
        self.stderr = io.BytesIO(b"")

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    seen: dict[str, list[list[str]]] = {"guarded": [], "spawned": []}
    real_check = cli_guard.check_allowed

    def checked(argv: Sequence[str]) -> None:
        seen["guarded"].append(list(argv))
        real_check(argv)

    def popen(argv: list[str], **kwargs: Any) -> FakePopen:
        assert seen["guarded"] and seen["guarded"][-1] == argv, "spawned an argv the guard did not check"
        seen["spawned"].append(list(argv))
        return FakePopen(argv, **kwargs)

    monkeypatch.setattr(mod, "check_allowed", checked)
    monkeypatch.setattr(mod.subprocess, "Popen", popen)
    return seen


def _cli(tmp_path: Path, major: int) -> SupabaseCli:
    cli = SupabaseCli(Path("/fake/supabase"), workdir=tmp_path, env={}, redactor=Redactor())
    cli.version = (major, 1, 0)
    return cli


HOSTILE_NAMES = ["--prune", "", "a b", "a,b", "hello --prune", "../x", "-v"]
HOSTILE_REFS = ["--prune", "x --linked", ""]


def _calls(cli: SupabaseCli) -> list[Callable[[], object]]:
    calls: list[Callable[[], object]] = []
    for name in HOSTILE_NAMES:
        calls.append(lambda n=name: cli.functions_deploy(n, Target(project_ref="abcdefghijklmnopqrst")))
        calls.append(lambda n=name: cli.functions_download(n, Target()))
    for ref in HOSTILE_REFS:
        t = Target(project_ref=ref)
        calls += [lambda t=t: cli.db_push(t), lambda t=t: cli.functions_list(t), lambda t=t: cli.secrets_list(t),
                  lambda t=t: cli.migration_list(t), lambda t=t: cli.link(t.project_ref or "")]
    calls += [lambda: cli.secrets_set(Target(), {"A=B C": "x"}), lambda: cli.secrets_set(Target(), {"--prune": "x"}),
              lambda: cli.run(["db", "reset"]), lambda: cli.run(["db", "push", "--include-seed"]),
              lambda: cli.run(["functions", "deploy"]), lambda: cli.run(["--debug", "--version"])]
    return calls


@pytest.mark.parametrize("major", [3, 2])
def test_every_public_path_is_guarded(tmp_path: Path, recorder: dict[str, list[list[str]]], major: int) -> None:
    cli = _cli(tmp_path, major)
    refused = 0
    for call in _calls(cli):
        try:
            call()
        except (UnsafeCommandError, InputError):
            refused += 1
    for argv in recorder["spawned"]:
        cli_guard.check_allowed(argv)  # whatever did run is on the allow-list
    assert refused >= len(HOSTILE_NAMES) * 2 + 6
    assert all(a in recorder["guarded"] for a in recorder["spawned"])
    assert not any("--prune" in " ".join(a) for a in recorder["spawned"])


def test_benign_calls_spawn_once_each(tmp_path: Path, recorder: dict[str, list[list[str]]]) -> None:
    cli = _cli(tmp_path, 3)
    t = Target(project_ref="abcdefghijklmnopqrst", db_url="postgresql://u:pw@h/d")
    for call in (lambda: cli.db_push(t, dry_run=True), lambda: cli.migration_list(t), lambda: cli.functions_list(t),
                 lambda: cli.functions_deploy("hello", t), lambda: cli.secrets_set(t, {"A": "value"}),
                 lambda: cli.secrets_list(t), lambda: cli.functions_download("hello", t)):
        call()
    assert len(recorder["spawned"]) == 7 == len(recorder["guarded"])


def _functions_calling(tree: ast.AST, names: set[str]) -> set[str]:
    found: set[str] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                attr = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if attr in names:
                    found.add(fn.name)
    return found


def test_only_run_reaches_the_spawn() -> None:
    """Static check: process primitives appear only in _spawn, _spawn only in run, after the guard."""
    tree = ast.parse(inspect.getsource(mod))
    assert _functions_calling(tree, SPAWNERS - {"run"}) == {"_spawn"}
    assert _functions_calling(tree, {"_spawn"}) == {"run"}
    run_src = inspect.getsource(SupabaseCli.run)
    assert run_src.index("check_allowed(argv)") < run_src.index("self._spawn(")
    for other in (cli_guard, cli_profile):
        imported = {n.names[0].name for n in ast.walk(ast.parse(inspect.getsource(other)))
                    if isinstance(n, (ast.Import, ast.ImportFrom))}
        assert not imported & {"subprocess", "asyncio", "pty"}
