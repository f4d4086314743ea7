"""Fuzzing the loader in CI (issue 12): thousands of seeded mutated playbooks and Hypothesis-made
text are each either loaded or refused with exit 2 and `file:line` problems — never a crash, within
a time bound each and a memory bound overall. A seeded subset goes through the real `validate`."""

from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.playbook.loader import load_playbook


def _mutations() -> ModuleType:
    """tests/fuzz/mutations.py by path (the tests folder is not a package)."""
    file = Path(__file__).resolve().parents[1] / "fuzz" / "mutations.py"
    spec = importlib.util.spec_from_file_location("fuzz_mutations", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


M = _mutations()
SEED = 2026  # not the benchmark's seed: CI covers other samples than benchmarks/fuzz_playbooks.py
COUNT = 2500
CLI_COUNT = 40
GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-project")
    (root / "supabase" / "migrations").mkdir(parents=True)
    (root / "supabase" / "migrations" / "20240101000000_init.sql").write_text("create table t (id int);\n")
    for name in M.FUNCTION_NAMES:
        (root / "supabase" / "functions" / name).mkdir(parents=True)
        (root / "supabase" / "functions" / name / "index.ts").write_text('Deno.serve(() => new Response("ok"));\n')
    env = {**os.environ, **GIT_ENV}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "i"]):
        subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)
    return root


def _load(path: Path, data: bytes) -> str:
    """'ok' or 'refused'; anything else raised is a failure of the test."""
    path.write_bytes(data)
    try:
        load_playbook(path, M.SEED_ENVIRON)
    except InputError as exc:
        lines = str(exc).splitlines()
        assert lines and all(line.startswith(str(path)) for line in lines), str(exc)[:2000]
        return "refused"
    return "ok"


def test_mutated_playbooks_are_loaded_or_refused(project: Path) -> None:
    path = project / "orchestrator.yaml"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes: dict[str, int] = {}
    for index, (name, data) in enumerate(M.mutated_playbooks(SEED, COUNT)):
        started = time.monotonic()
        try:
            outcome = _load(path, data)
        except Exception as exc:  # noqa: BLE001 - report which sample, then fail
            pytest.fail(f"sample {index} ({name}) crashed the loader: {type(exc).__name__}: {exc}"[:2000])
        took = time.monotonic() - started
        assert took < 10, f"sample {index} ({name}) took {took:.1f}s"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 1024, f"loading grew the process by {grown_mb:.0f} MB"
    assert outcomes.get("ok", 0) > 50 and outcomes.get("refused", 0) > COUNT / 2, outcomes  # the mix is real


def test_mutated_playbooks_through_the_real_validate(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, **M.SEED_ENVIRON, "CI": "true", "HOME": str(tmp_path)}  # crash logs stay here
    for index in range(0, COUNT, COUNT // CLI_COUNT):
        name, data = M.mutated_playbook(SEED, index)
        path = project / f"validate-{index}.yaml"
        path.write_bytes(data)
        done = subprocess.run([sys.executable, "-m", "orchestrator", "validate", str(path)], check=False, cwd=project,
                              env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 2), f"sample {index} ({name}): exit {done.returncode}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr
        path.unlink()


VALID = (b"version: 1\nname: t\nproject_dir: .\nenvironments:\n  staging:\n    project_ref: abcdefghijklmnopqrst\n"
         b"steps:\n  - pause: {timeout: 5s}\n  - functions: {names: [hello], checks: {settle: 1s}}\n")


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, len(VALID)), junk=st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_any_bytes_anywhere_are_loaded_or_refused(project: Path, position: int, junk: bytes) -> None:
    _load(project / "hypothesis.yaml", VALID[:position] + junk + VALID[position:])
