"""Broken playbooks: each is refused with exit 2 and a message naming file, the right line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import PlaybookError
from orchestrator.playbook.loader import load_playbook

GOOD_ENV = """\
environments:
  staging:
    project_ref: abcdefghijklmnopqrst
"""
HEAD = "version: 1\nname: t\n" + GOOD_ENV

# (id, playbook text with `#<-` marking the line that must be reported, key path in the message, phrase)
CASES = [
    ("unknown-top-key", HEAD + "stepz: []  #<-\nsteps: [{pause: {}}]\n", "stepz", "unknown key"),
    ("missing-steps", HEAD.replace("version: 1", "version: 1  #<-"), "steps", "required"),
    ("missing-name", HEAD.replace("name: t\n", "") .replace("version: 1", "version: 1  #<-")
     + "steps: [{pause: {}}]\n", "name", "required"),
    ("bad-version", HEAD.replace("version: 1", "version: 2  #<-") + "steps: [{pause: {}}]\n",
     "version", "unsupported playbook version"),
    ("version-string", HEAD.replace("version: 1", "version: one  #<-") + "steps: [{pause: {}}]\n",
     "version", "version"),
    ("bad-project-ref", HEAD.replace("abcdefghijklmnopqrst", "ABC123  #<-") + "steps: [{pause: {}}]\n",
     "environments.staging.project_ref", "not a project ref"),
    ("short-project-ref", HEAD.replace("abcdefghijklmnopqrst", "abcdef  #<-") + "steps: [{pause: {}}]\n",
     "environments.staging.project_ref", "20 lowercase"),
    ("missing-var", HEAD.replace("abcdefghijklmnopqrst", "${NOPE_NOT_SET}  #<-") + "steps: [{pause: {}}]\n",
     "environments.staging.project_ref", "NOPE_NOT_SET is not set"),
    ("unknown-env-key", HEAD + "    requires_aproval: true  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.requires_aproval", "did you mean 'requires_approval'"),
    ("approval-not-bool", HEAD + "    requires_approval: maybe  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.requires_approval", "boolean"),
    ("bad-db-url", HEAD + "    db_url: mysql://x  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.db_url", "postgresql://"),
    ("bad-api-url", HEAD + "    api_url: ftp://x  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.api_url", "http"),
    ("no-environments", "version: 1\nname: t\nenvironments: {}  #<-\nsteps: [{pause: {}}]\n",
     "environments", "at least 1"),
    ("bad-env-name", ("version: 1\nname: t\nenvironments:\n  '1bad':  #<-\n    project_ref: abcdefghijklmnopqrst\n"
     "steps: [{pause: {}}]\n"), "environments.1bad", "pattern"),
    ("unknown-step-kind", HEAD + "steps:\n  - pause: {}\n  - migratons: {}  #<-\n",
     "steps[1].migratons", "did you mean 'migrations'"),
    ("two-actions", HEAD + "steps:\n  - pause: {}  #<-\n    verify: []\n", "steps[0]", "exactly one action"),
    ("step-not-mapping", HEAD + "steps:\n  - pause\n  - just-a-string  #<-\n", "steps[1]", "mapping"),
    ("bad-duration", HEAD + "steps:\n  - pause:\n      timeout: 5 minutes  #<-\n",
     "steps[0].pause.timeout", "bad duration"),
    ("bad-on-timeout", HEAD + "steps:\n  - pause:\n      on_timeout: retry  #<-\n",
     "steps[0].pause.on_timeout", "'abort' or 'continue'"),
    ("unknown-step-key", HEAD + "steps:\n  - migrations: {include_al: true}  #<-\n",
     "steps[0].migrations.include_al", "did you mean 'include_all'"),
    ("include-all-type", HEAD + "steps:\n  - migrations:\n      include_all: [1]  #<-\n",
     "steps[0].migrations.include_all", "boolean"),
    ("verify-no-expectation", HEAD + "steps:\n  - verify:\n      - name: a  #<-\n        sql: select 1\n",
     "steps[0].verify[0]", "exactly one of expect_rows or expect"),
    ("verify-negative-rows", HEAD + "steps:\n  - verify:\n      - {name: a, sql: x, expect_rows: -1}  #<-\n",
     "steps[0].verify[0].expect_rows", "greater than or equal"),
    ("verify-not-list", HEAD + "steps:\n  - verify: {name: a}  #<-\n", "steps[0].verify", "list"),
    ("bad-min-cli", HEAD + "steps:\n  - preflight: {min_cli_version: latest}  #<-\n",
     "steps[0].preflight.min_cli_version", "pattern"),
    ("duplicate-key", HEAD + "steps:\n  - pause: {}\nsteps:  #<-\n  - pause: {}\n", "steps", "duplicate key"),
    ("invalid-yaml", HEAD + "steps: a: b  #<-\n", "", "invalid YAML"),
    ("empty-steps", HEAD + "steps: []  #<-\n", "steps", "at least 1"),
    ("gate-unknown-env", HEAD + "    requires_passed: [prod]  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.requires_passed[0]", "no environment 'prod'"),
    ("gate-itself", HEAD + "    requires_passed: [staging]  #<-\nsteps: [{pause: {}}]\n",
     "environments.staging.requires_passed[0]", "cannot gate itself"),
    ("step-name-not-string", HEAD + "steps:\n  - name: [a]  #<-\n    pause: {}\n", "steps[0].name", "string"),
]


def marked_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if "#<-" in line)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize(("text", "path", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_playbook_exits_2_with_file_line_and_key(project: Path, text: str, path: str, phrase: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    pb = project / "playbook.yaml"
    pb.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(pb)])
    assert result.exit_code == 2, result.output
    expected_prefix = f"{pb}:{marked_line(text)}: {path}".rstrip(": ")
    assert expected_prefix in result.output, result.output
    assert phrase in result.output, result.output


def test_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


def test_every_problem_is_reported_not_just_the_first(project: Path) -> None:
    text = HEAD + "steps:\n  - pause: {timeout: nope}\n  - migrations: {include_all: 3x}\n"
    pb = project / "playbook.yaml"
    pb.write_text(text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(pb, {})
    assert [p.line for p in info.value.problems] == [7, 8]


def test_unknown_function_like_directory_check_uses_project(project: Path) -> None:
    (project / "supabase" / "migrations").rmdir()
    pb = project / "playbook.yaml"
    pb.write_text(HEAD + "steps:\n  - migrations: {}\n")
    with pytest.raises(PlaybookError, match=r"playbook.yaml:7: steps\[0\]\.migrations: no .*migrations folder"):
        load_playbook(pb, {})


def test_no_supabase_folder_points_at_project_dir(tmp_path: Path) -> None:
    pb = tmp_path / "playbook.yaml"
    pb.write_text("version: 1\nname: t\nproject_dir: nowhere\n" + GOOD_ENV + "steps: [{pause: {}}]\n")
    with pytest.raises(PlaybookError, match=r"playbook.yaml:3: project_dir: no supabase/ folder"):
        load_playbook(pb, {})


def test_variables_default_and_env_file(project: Path, tmp_path: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_text(textwrap.dedent("""\
        version: 1
        name: t
        environments:
          staging:
            project_ref: ${REF}
            db_url: ${DB:-postgresql://localhost/x}
          production:
            project_ref: ${PROD_REF}
        steps: [{pause: {}}]
        """))
    loaded = load_playbook(pb, {"REF": "abcdefghijklmnopqrst"}, ["staging"])
    assert loaded.environment("staging").db_url == "postgresql://localhost/x"
    # PROD_REF is only needed when production is selected
    with pytest.raises(PlaybookError, match=r":8: environments.production.project_ref: .*PROD_REF"):
        load_playbook(pb, {"REF": "abcdefghijklmnopqrst"}, ["production"])


def test_unknown_environment_selected(project: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_text(HEAD + "steps: [{pause: {}}]\n")
    result = CliRunner().invoke(app, ["validate", str(pb), "--env", "prod"])
    assert result.exit_code == 2
    assert f"{pb}:3: environments: no environment 'prod' (--env); known: staging" in result.output


def test_durations_parse(project: Path) -> None:
    pb = project / "playbook.yaml"
    pb.write_text(HEAD + "steps:\n  - pause: {timeout: 500ms}\n  - pause: {timeout: 2m}\n  - pause: {timeout: 1h}\n")
    loaded = load_playbook(pb, {})
    assert [s.config.timeout for s in loaded.steps] == [0.5, 120.0, 3600.0]


def test_schema_command_prints_json_schema() -> None:
    import json

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    kinds = {next(k for k in v["properties"] if k != "name") for v in schema["properties"]["steps"]["items"]["oneOf"]}
    assert {"preflight", "migrations", "verify", "pause"} <= kinds
    assert schema["$defs"]["Environment"]["properties"]["project_ref"]["anyOf"][0]["pattern"] == "^[a-z]{20}$"


def test_registry_kinds_match_their_modules() -> None:
    from orchestrator.steps import REGISTRY

    assert {kind: REGISTRY[kind].kind for kind in REGISTRY} == {kind: kind for kind in REGISTRY}


def test_a_function_folder_without_entrypoint_is_refused(tmp_path: Path) -> None:
    """A shared folder listed as a function (issue 9): the CLI would have nothing to deploy."""
    (tmp_path / "supabase" / "functions" / "shared").mkdir(parents=True)
    (tmp_path / "supabase" / "functions" / "shared" / "util.ts").write_text("export {};\n")
    book = tmp_path / "p.yaml"
    book.write_text("version: 1\nname: x\nproject_dir: .\nenvironments:\n  s: {project_ref: abcdefghijklmnopqrst}\n"
                    "steps:\n  - functions:\n      names: [shared]\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(book, {})
    assert "p.yaml:8: steps[0].functions.names[0]: shared has no entrypoint" in str(caught.value)


def test_an_optional_db_url_left_empty_means_none(project: Path) -> None:
    """The README writes `db_url: ${STAGING_DB_URL:-}`: unset, it was refused as not a postgres URL."""
    pb = project / "playbook.yaml"
    pb.write_text(HEAD + "    db_url: ${NOT_SET_DB_URL:-}\nsteps: [{pause: {}}]\n")
    assert load_playbook(pb, {}).environment("staging").db_url is None
