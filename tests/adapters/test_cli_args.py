"""Argument building per CLI version, binary lookup, profile and env files, output parsing (no spawn)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orchestrator.adapters import supabase_cli as mod
from orchestrator.adapters.cli_guard import check_allowed
from orchestrator.adapters.cli_profile import write_profile
from orchestrator.adapters.supabase_cli import SupabaseCli, Target, explain_push_error, parse_dry_run
from orchestrator.errors import InputError
from orchestrator.redact import Redactor

REF = "abcdefghijklmnopqrst"
URL = "postgresql://postgres:s3cr%40t@db.example.com:5432/postgres?sslmode=require"
BARE = "postgresql://postgres@db.example.com:5432/postgres?sslmode=require"


def make_cli(version: tuple[int, int, int], tmp_path: Path) -> SupabaseCli:
    cli = SupabaseCli(Path("/nowhere/supabase"), workdir=tmp_path, env={}, redactor=Redactor())
    cli.version = version  # injected: no spawn
    return cli


@pytest.fixture
def v3(tmp_path: Path) -> SupabaseCli:
    return make_cli((3, 1, 0), tmp_path)


@pytest.fixture
def v2(tmp_path: Path) -> SupabaseCli:
    return make_cli((2, 122, 1), tmp_path)


def test_db_targets(v3: SupabaseCli, v2: SupabaseCli) -> None:
    assert v3.db_target_args(Target(db_url=URL, project_ref=REF)) == [f"--remote={BARE}"]
    assert v2.db_target_args(Target(db_url=URL, project_ref=REF)) == [f"--db-url={BARE}"]
    assert v3.db_target_args(Target(project_ref=REF)) == [f"--remote={REF}"]
    assert v2.db_target_args(Target(project_ref=REF)) == [f"--project-ref={REF}"]
    assert v3.db_target_args(Target()) == ["--remote"]  # linked; without it v3 pushes to LOCAL
    assert v2.db_target_args(Target()) == ["--linked"]


def test_api_targets_ignore_db_url(v3: SupabaseCli, v2: SupabaseCli) -> None:
    assert v3.api_target_args(Target(project_ref=REF, db_url=URL)) == [f"--remote={REF}"]
    assert v2.api_target_args(Target(project_ref=REF, db_url=URL)) == [f"--project-ref={REF}"]
    assert v3.api_target_args(Target()) == []


def test_db_push_always_confirms_and_is_allowed(v3: SupabaseCli, v2: SupabaseCli) -> None:
    for cli in (v3, v2):
        args = cli.db_push_args(Target(db_url=URL), dry_run=True, include_all=True)
        assert args[:4] == ["--yes", "--output-format", "json", "db"]
        assert "--dry-run" in args and "--include-all" in args
        assert "s3cr" not in " ".join(args)
        check_allowed(["supabase", *args])
        assert "--dry-run" not in cli.db_push_args(Target(project_ref=REF))


def test_functions_deploy_args(v3: SupabaseCli, v2: SupabaseCli) -> None:
    assert v3.functions_deploy_args("hello", Target(project_ref=REF), no_verify_jwt=True) == [
        "--yes", "--output-format", "json", "functions", "deploy", "hello", "--use-api", "--no-verify-jwt",
        f"--remote={REF}"]
    assert v2.functions_deploy_args("hello", Target(project_ref=REF))[-2:] == ["--use-api", f"--project-ref={REF}"]
    for flag in (None, False):
        assert "--no-verify-jwt" not in v3.functions_deploy_args("hello", Target(), no_verify_jwt=flag)


def test_version_dispatch_boundaries(tmp_path: Path) -> None:
    assert make_cli((4, 0, 0), tmp_path).is_v3
    assert not make_cli((2, 999, 0), tmp_path).is_v3


def test_locate_order(tmp_path: Path) -> None:
    explicit = tmp_path / "my-supabase"
    explicit.write_text("#!/bin/sh\n")
    explicit.chmod(0o755)
    assert SupabaseCli.locate(None, {"SUPABASE_CLI": str(explicit)}) == explicit
    with pytest.raises(InputError, match="SUPABASE_CLI"):
        SupabaseCli.locate(None, {"SUPABASE_CLI": str(tmp_path / "missing")})
    no_tools = str(tmp_path / "no-tools")
    project_bin = tmp_path / "proj/node_modules/.bin/supabase"
    project_bin.parent.mkdir(parents=True)
    project_bin.write_text("")
    assert SupabaseCli.locate(tmp_path / "proj", {"PATH": "", "ORCHESTRATOR_TOOLS_DIR": no_tools}) == project_bin
    on_path = tmp_path / "bin/supabase"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert SupabaseCli.locate(None, {"PATH": str(on_path.parent), "ORCHESTRATOR_TOOLS_DIR": no_tools}) == on_path
    with pytest.raises(InputError, match="orchestrator tools install"):
        SupabaseCli.locate(tmp_path / "empty", {"PATH": str(tmp_path / "nothing"), "ORCHESTRATOR_TOOLS_DIR": no_tools})


def test_locate_prefers_the_tools_install_dir(tmp_path: Path) -> None:
    fake = tmp_path / "tools" / "supabase-3" / "node_modules" / ".bin" / "supabase"
    fake.parent.mkdir(parents=True)
    fake.write_text("")
    assert SupabaseCli.locate(None, {"PATH": "/usr/bin", "ORCHESTRATOR_TOOLS_DIR": str(tmp_path / "tools")}) == fake


def test_write_profile(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "p", api_url="http://127.0.0.1:9999/", project_host="local.test")
    assert path.suffix == ".json"  # the CLI picks its parser from the extension
    assert json.loads(path.read_text()) == {"name": "orchestrator", "api_url": "http://127.0.0.1:9999",
                                            "dashboard_url": "http://127.0.0.1:9999/dashboard",
                                            "project_host": "local.test"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_env_file_round_trip_rules(tmp_path: Path) -> None:
    with mod._env_file({"A": "x'y\"z $H \\", "B": "multi\nline #c"}) as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == "A='x'y\"z $H \\'\nB='multi\nline #c'\n"
    assert not path.exists()
    bad_values = ["ends'\nnext", "a\n'b", "it's #x", "a'#b", "x #y 'z", "a'b#c", "cr\r"]
    for bad in ({"A B": "x"}, {"SUPABASE_URL": "x"}, {}, *({"A": v} for v in bad_values)):
        with pytest.raises(InputError), mod._env_file(bad):
            pass


def test_split_db_url() -> None:
    assert mod._split_db_url(URL) == (BARE, "s3cr@t")
    assert mod._split_db_url(BARE) == (BARE, None)


V3_DRY_TEXT = """Target: custom Postgres (127.0.0.1:34103)
DRY RUN: migrations will *not* be pushed to the database.
Would push these migrations:
 • 20240101000000_one.sql
 • 20240102000000_two.sql
"""
V2_DRY_JSON = ('{"upToDate":false,"dryRun":true,"migrations":["20240101000000_one.sql","20240102000000_two.sql"],'
               '"seeds":[],"roles":[],"message":"Finished supabase db push."}')


def test_parse_dry_run_text_and_json() -> None:
    expected = ["20240101000000_one.sql", "20240102000000_two.sql"]
    assert parse_dry_run(V3_DRY_TEXT) == expected
    assert parse_dry_run("Connecting to remote database...\n" + V2_DRY_JSON) == expected
    assert parse_dry_run('{"upToDate":true,"dryRun":true,"migrations":[]}') == []
    assert parse_dry_run("Remote database is up to date.") == []


def test_explain_push_error_unknown() -> None:
    assert explain_push_error("failed to connect: connection refused") is None


def test_upload_warnings_are_the_clis_lines_about_files_left_out() -> None:
    from orchestrator.adapters.supabase_cli import upload_warnings

    output = ("Uploading asset (w1): supabase/functions/w1/index.ts\n"
              "WARN: failed to read file: open supabase/functions/_shared/nope.ts: no such file or directory\n"
              "WARN: Skipping import path outside source root: /etc/x.ts\n"
              "WARN: config has keys this version of the Supabase CLI does not recognize\n")
    assert upload_warnings(output) == [
        "WARN: failed to read file: open supabase/functions/_shared/nope.ts: no such file or directory",
        "WARN: Skipping import path outside source root: /etc/x.ts"]
    assert upload_warnings("Deployed Functions.") == []
