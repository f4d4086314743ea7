"""Hostile and odd playbooks (issue 12): each class that used to crash the loader (exit 3, a raw
traceback, gigabytes of memory) is refused with exit 2 and `file:line: ...`, and merge keys work."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import PlaybookError
from orchestrator.playbook.loader import load_playbook

ENV = "environments:\n  staging:\n    project_ref: abcdefghijklmnopqrst\n"
HEAD = "version: 1\nname: t\n" + ENV
LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          + "".join(f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)))

# (id, file bytes, the line to report, a phrase of the message)
CASES: list[tuple[str, bytes, int | None, str]] = [
    ("control-character", (HEAD + "steps:\n  - pause: {message: \"a\x01b\"}\n").encode(), 7, "#x0001"),
    ("nul-character", (HEAD + "steps: [{pause: {}}]\x00\n").encode(), 6, "#x0000"),
    ("latin-1", (HEAD + "steps: [{pause: {message: caf\xe9}}]\n").encode("latin-1"), 6, "not UTF-8"),
    ("utf-16", (HEAD + "steps: [{pause: {}}]\n").encode("utf-16"), 1, "UTF-16"),
    ("int-tag", (HEAD + "steps: [{functions: {names: [a], checks: {logs: {max_errors: !!int abc}}}}]\n").encode(),
     6, "'abc' is not a valid int"),
    ("bad-timestamp", (HEAD + "steps: [{pause: {message: !!timestamp 2020-99-99}}]\n").encode(), 6,
     "not a valid timestamp"),
    ("python-tag", (HEAD + "steps: [{pause: {message: !!python/object:os.system ls}}]\n").encode(), 6,
     "!!python/object:os.system is not supported"),
    ("set-tag", (HEAD + "steps: !!set {a, b}\n").encode(), 6, "!!set is not supported"),
    ("unknown-local-tag", (HEAD + "name2: !foo x\nsteps: [{pause: {}}]\n").encode(), 6, "!foo is not supported"),
    ("deep-nesting", (HEAD + "steps: " + "[" * 1000 + "]" * 1000 + "\n").encode(), 6, "nested deeper"),
    ("deep-mappings", (HEAD + "steps: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n").encode(), 6, "nested deeper"),
    ("billion-laughs", (LAUGHS + HEAD + "steps: [{pause: {}}]\n").encode(), None, "more than 100,000 values"),
    ("huge-integer", (HEAD + "steps: [{verify: [{name: a, sql: x, expect_rows: " + "9" * 5000 + "}]}]\n").encode(),
     6, "too many digits"),
    ("huge-status", (HEAD + "steps: [{functions: {names: [a], checks: {smoke: {expect_status: [1e400]}}}}]\n")
     .encode(), 6, "expect_status"),
    ("settle-inf", (HEAD + "steps: [{functions: {names: [a], checks: {settle: .inf}}}]\n").encode(), 6,
     "needs a unit"),
    ("settle-20-digits", (HEAD + "steps: [{functions: {names: [a], checks: {settle: 99999999999999999999s}}}]\n")
     .encode(), 6, "longer than a week"),
    ("window-nan", (HEAD + "steps: [{functions: {names: [a], checks: {logs: {window: .nan}}}}]\n").encode(), 6,
     "needs a unit"),
    ("timeout-10-4000", (HEAD + "steps: [{pause: {timeout: " + "1" + "0" * 4000 + "}}]\n").encode(), 6,
     "needs a unit"),
    ("project-dir-nul", ("version: 1\nname: t\nproject_dir: \"a\\0b\"\n" + ENV + "steps: [{pause: {}}]\n")
     .encode(), 3, "project_dir: not a usable folder"),
    ("project-dir-5000", ("version: 1\nname: t\nproject_dir: " + "x" * 5000 + "\n" + ENV
                          + "steps: [{pause: {}}]\n").encode(), 3, "project_dir: not a usable folder"),
    ("merge-non-mapping", (HEAD + "x: &x [1]\nsteps:\n  - pause: {<<: *x}\n").encode(), 8, "<< merges a mapping"),
    ("list-as-key", (HEAD + "? [a]\n: 1\nsteps: [{pause: {}}]\n").encode(), None, "a key must be a plain string"),
    ("too-large", (HEAD + "steps:\n" + "  - pause: {}\n" * 90_000).encode(), None, "larger than 1 MiB"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "functions" / "a").mkdir(parents=True)
    (tmp_path / "supabase" / "functions" / "a" / "index.ts").write_text("Deno.serve(() => new Response('ok'))\n")
    return tmp_path


@pytest.mark.parametrize(("data", "line", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_playbook_is_exit_2_with_file_and_line(project: Path, data: bytes, line: int | None,
                                                       phrase: str) -> None:
    pb = project / "playbook.yaml"
    pb.write_bytes(data)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["validate", str(pb)])
    assert result.exit_code == 2, result.output
    assert time.monotonic() - started < 20, "each hostile file is refused quickly"
    first = result.output.splitlines()[0]
    assert first.startswith(f"error: {pb}:{line}:" if line else f"error: {pb}"), result.output
    assert phrase in result.output, result.output
    assert "Traceback" not in result.output


def test_billion_laughs_stays_small(project: Path) -> None:
    """400 bytes that expand to 10^9 values: refused without growing the process by 100 MB."""
    pb = project / "playbook.yaml"
    pb.write_text(LAUGHS + HEAD + "steps: [{pause: {}}]\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(PlaybookError, match="more than 100,000 values"):
        load_playbook(pb, {})
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB


def test_merge_keys_share_environment_settings(project: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_text("version: 1\nname: t\nenvironments:\n"
                  "  staging: &base\n    project_ref: abcdefghijklmnopqrst\n    requires_approval: true\n"
                  "  production:\n    <<: *base\n    project_ref: zyxwvutsrqponmlkjihg\n"
                  "steps:\n  - pause: {timeout: 5s}\n  - pause:\n      <<: [{timeout: 1m}, {timeout: 2m, message: m}]\n")
    loaded = load_playbook(pb, {})
    prod = loaded.environment("production")
    assert (prod.project_ref, prod.requires_approval) == ("zyxwvutsrqponmlkjihg", True)
    assert (loaded.steps[1].config.timeout, loaded.steps[1].config.message) == (60.0, "m")


def test_a_problem_in_a_merged_value_names_the_merging_key(project: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_text("version: 1\nname: t\nenvironments:\n  staging: &base\n    project_ref: abcdefghijklmnopqrst\n"
                  "  production:\n    <<: *base\n    requires_aproval: true\nsteps: [{pause: {}}]\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(pb, {})
    assert "playbook.yaml:8: environments.production.requires_aproval: unknown key" in str(caught.value)


def test_a_utf8_byte_order_mark_is_accepted(project: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_bytes(b"\xef\xbb\xbf" + (HEAD + "steps: [{pause: {}}]\n").encode())
    assert load_playbook(pb, {}).name == "t"


def test_many_function_names_are_checked_in_linear_time(project: Path) -> None:
    """200,000 names once took minutes (a quadratic duplicate check)."""
    pb = project / "playbook.yaml"
    names = ", ".join(f"f{i}" for i in range(60_000))
    pb.write_text(HEAD + f"steps: [{{functions: {{names: [{names}, f7]}}}}]\n")
    started = time.monotonic()
    with pytest.raises(PlaybookError, match="listed twice: f7"):
        load_playbook(pb, {})
    assert time.monotonic() - started < 30
