"""validate and plan say what the installed supabase CLI thinks of supabase/config.toml (issue 9.4),
in the CLI's own words, without blocking: the orchestrator never gives the CLI that file. A listed
function disabled in config.toml is an error (the CLI would skip it)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.tools import local_supabase

PLAYBOOK = """\
version: 1
name: cfg
environments:
  staging:
    project_ref: abcdefghijklmnopqrst
steps:
  - functions:
      names: [hello]
"""


def _project(tmp_path: Path, config: str, *, folder_map: bool = False) -> Path:
    fn = tmp_path / "supabase" / "functions" / "hello"
    fn.mkdir(parents=True)
    (fn / "index.ts").write_text('Deno.serve(() => new Response("hi"));\n')
    if folder_map:
        (fn / "import_map.json").write_text('{"imports": {}}\n')
    (tmp_path / "supabase" / "config.toml").write_text('project_id = "cfg"\n' + config)
    (tmp_path / "orchestrator.yaml").write_text(PLAYBOOK)
    return tmp_path


def _validate(root: Path, cli: Path | None) -> tuple[int, dict[str, object], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "ORCHESTRATOR_"))}
    if cli is not None:
        env["SUPABASE_CLI"] = str(cli)
    env["SUPABASE_ACCESS_TOKEN"] = "sbp_" + "0" * 40
    here = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, ["validate", "orchestrator.yaml", "--output", "json"], env=env)
    finally:
        os.chdir(here)
    return result.exit_code, _document(result.stdout), result.output


def _document(stdout: str) -> dict[str, object]:
    """The JSON document on stdout; older click (the minimum-versions check) mixes stderr into it."""
    start = stdout.find("{\n") if not stdout.startswith("{") else 0
    return json.loads(stdout[start:]) if start >= 0 else {}


def _cli(major: int) -> Path:
    found = local_supabase(major)
    if found is None:
        pytest.skip(f"supabase {major}.x not installed (scripts/install-tools)")
    return found


def test_supabase_3_refusing_inbucket_is_a_warning_in_its_own_words(tmp_path: Path) -> None:
    root = _project(tmp_path, "[inbucket]\nenabled = true\nport = 54324\n")
    code, doc, out = _validate(root, _cli(3))
    assert code == 0, out
    warnings = [str(w) for w in doc["warnings"]]  # type: ignore[attr-defined]
    assert any(w.startswith("supabase/config.toml: supabase 3.1.0 refuses it: [inbucket] in supabase/config.toml "
                            "is no longer supported") for w in warnings), warnings
    code, doc, out = _validate(root, _cli(2))
    assert code == 0 and doc["warnings"] == [], out


def test_missing_template_and_unknown_keys_are_reported_as_the_cli_reports_them(tmp_path: Path) -> None:
    root = _project(tmp_path, '[auth.email.template.invite]\nsubject = "Join"\n'
                              'content_path = "./supabase/templates/gone.html"\n[functions.hello]\nbogus_key = 1\n')
    code, doc, out = _validate(root, _cli(3))
    assert code == 0, out
    text = "\n".join(map(str, doc["warnings"]))  # type: ignore[call-overload]
    assert f"FileSystem.readFile ({root}/supabase/templates/gone.html)" in text  # the project's own path
    assert sorted(p.name for p in (root / "supabase").iterdir()) == ["config.toml", "functions"]  # nothing written
    assert "supabase 3.1.0 warns: supabase/config.toml has keys this version of the Supabase CLI does not " \
           "recognize and ignores: functions.hello.bogus_key" in text
    assert "refuses it: Invalid config for auth.email.template.invite.content_path" in text


def test_a_folder_import_map_is_named(tmp_path: Path) -> None:
    root = _project(tmp_path, "", folder_map=True)
    code, doc, out = _validate(root, _cli(3))
    assert code == 0, out
    assert doc["warnings"] == [("supabase/functions/hello/import_map.json: supabase 3 no longer reads a function "
                               "folder's import_map.json on its own; the orchestrator names it in the config it "
                               "deploys hello with, but rename it to deno.json (supabase's advice) or set "
                                "functions.hello.import_map in config.toml")]


def test_a_disabled_function_in_names_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "[functions.hello]\nenabled = false\n")
    code, _doc, out = _validate(root, None)
    assert code == 2, out
    assert "orchestrator.yaml:8: steps[0].functions.names[0]: hello is disabled in supabase/config.toml" in out


def test_the_check_gives_the_cli_no_token_and_no_home(tmp_path: Path) -> None:
    """`supabase services` would list a linked project's versions with a token: it must only read files."""
    fake = tmp_path / "bin" / "supabase"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\ncase "$*" in *--version*) echo 3.1.0;; *services*) '
                    'echo "config: token=${SUPABASE_ACCESS_TOKEN:-none} home=$HOME" >&2;; esac\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    root = _project(tmp_path / "p", "")
    code, doc, out = _validate(root, fake)
    assert code == 0, out
    (line,) = [str(w) for w in doc["warnings"]]  # type: ignore[attr-defined]
    assert "token=none" in line and f"home={Path.home()}" not in line
