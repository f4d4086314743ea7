"""The run report: one JSON document on stdout (validated against `schema --report`), JUnit and
Markdown files, and under GitHub Actions the job summary and `::error` annotations, for a real
release whose second function is caught and rolled back."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from fn_helpers import BROKEN, Project, orchestrator_argv, pythonpath

from orchestrator.report import REPORT_SCHEMA


def _run(project: Project, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**project.environ(**extra), "PYTHONPATH": pythonpath()}
    return subprocess.run(orchestrator_argv(*args), cwd=project.root, env=env, text=True, capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=600)


def test_a_rolled_back_release_is_reported_as_json_junit_markdown_and_github_summary(
        project: Project, tmp_path: Path) -> None:
    alpha, beta, _gamma = project.names
    project.commit("A")
    first = _run(project, "run", "orchestrator.yaml", "--env", project.env, "--output", "json", "--debug")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["outcome"] == "succeeded"
    # --debug: the CLI's output as it runs and every API request, on stderr, redacted
    assert "supabase | " in first.stderr and "Deployed Functions" in first.stderr, first.stderr
    assert f"api | GET /v1/projects/{project.target.project_ref}/functions" in first.stderr
    assert project.target.access_token not in first.stderr + first.stdout
    project.write(beta, BROKEN)
    commit_b = project.commit("B: beta throws")
    junit, md, summary = tmp_path / "junit.xml", tmp_path / "summary.md", tmp_path / "step-summary.md"

    second = _run(project, "run", "orchestrator.yaml", "--env", project.env, "--output", "json",
                  "--report-junit", str(junit), "--report-markdown", str(md),
                  GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))

    assert second.returncode == 1, second.stderr
    doc = json.loads(second.stdout)  # the whole of stdout is one document: progress went to stderr
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(doc)
    assert (doc["report_version"], doc["command"], doc["commit"], doc["outcome"]) == (1, "run", commit_b, "failed")
    by_name = {f["name"]: f for f in doc["functions"]}
    assert set(by_name) == {alpha, beta}  # gamma was never reached
    assert by_name[alpha]["outcome"] == "unchanged" and by_name[alpha]["version_after"] == 1
    b = by_name[beta]
    assert (b["outcome"], b["version_before"], b["version_after"]) == ("rolled_back", 1, 2)
    assert b["commit"] == commit_b and len(b["input_hash"]) >= 16 and b["rolled_back_to"]
    assert b["checks"]["status"] == "fail" and b["checks"]["evidence"]["smoke"]["status"] == 500
    assert b["checks"]["evidence"]["logs"]["errors"] >= 1 and b["duration_s"] > 0

    cases = ET.parse(junit).getroot().findall(".//testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert beta in failed and "1. functions" in failed and alpha not in failed
    assert any(c.get("name") == alpha and c.find("skipped") is not None for c in cases)
    text = md.read_text()
    assert f"| {project.env} | {beta} | 1 → 2 | rolled_back | fail |" in text, text
    assert summary.read_text().strip() == text.strip()  # GITHUB_STEP_SUMMARY got the same Markdown
    errors = [line for line in second.stderr.splitlines() if line.startswith("::error ")]
    assert any(f"function {beta}" in line and "rolled_back" in line for line in errors), second.stderr
    assert all("%3A" in line.split("::")[1] for line in errors)  # ':' in a property is escaped
    assert "::error" not in second.stdout


def test_lint_findings_in_a_run_never_reach_stdout_under_output_json(project: Project) -> None:
    migrations = project.root / "supabase" / "migrations"
    migrations.mkdir()
    (migrations / "20250101000000_t.sql").write_text("create table public.t (id bigint primary key);\n")
    (migrations / "20250102000000_i.sql").write_text("create index t_id on public.t (id);\n")
    pb = project.root / "lint-only.yaml"
    pb.write_text(f"version: 1\nname: l\nenvironments:\n  {project.env}:\n    project_ref: ${{REF}}\n"
                  "    api_url: ${API_URL}\n    db_url: ${DB_URL}\nsteps:\n  - lint: {fail_on: never}\n")
    project.commit("migrations with a finding")
    result = _run(project, "run", "lint-only.yaml", "--env", project.env, "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steps"][0]["status"] == "warning"
    assert "20250101000000_t.sql" in result.stderr and "2 file(s) linted" in result.stderr  # shown, on stderr
