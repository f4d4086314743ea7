"""The example GitHub Actions workflow (examples/github-actions/release.yml), run here job by job.

The jobs' `run:` steps run for real, in order, with bash as GitHub runs them (`bash --noprofile
--norc -eo pipefail`), against two local targets (staging and production, each its own Postgres,
Management API simulator and functions gateway) and the real supabase CLI. What GitHub would do
around them is emulated, minimally:

- the repository: a temp git repository built from examples/demo-project, holding the example
  playbook and workflow; the playbook copy gets the local targets' api_url/functions_url (hosted
  needs neither) and a 500 ms settle instead of 5 s;
- `${{ secrets.X }}`, `${{ vars.X }}`, `${{ github.* }}`, `${{ runner.temp }}`, `${{ steps.* }}`:
  replaced from the maps below; any other expression fails the test. `if:` conditions are
  evaluated for the few operators and status functions the workflow uses;
- `actions/checkout`: a full clone of that repository (main checked out on push, the pull
  request's head detached on pull_request: its merge with an unchanged base);
- `actions/setup-python`: nothing; `pip install`: a stub on PATH that puts an `orchestrator`
  wrapper next to it, which runs this checkout's code with this interpreter;
  `orchestrator tools install`: answered by that wrapper (the sandbox's supabase CLI and Deno are
  already in .tools/); every other `orchestrator` command is real;
- `actions/upload-artifact`/`download-artifact`: copies through a temp dir (hidden files left
  out, as upload-artifact@v4 does); `github/codeql-action/upload-sarif`: the file must parse as
  SARIF 2.1.0, and is kept for the assertions;
- `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`: files per step, read back as GitHub does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from dotenv import dotenv_values

from orchestrator.journal import read_events
from orchestrator.local.target import LocalTarget
from tests.conftest import require_local_target

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "github-actions"
REPOSITORY = "example/app"  # github.repository
PINNED = {"actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4",
          "actions/download-artifact@v4", "github/codeql-action/upload-sarif@v3"}
GIT_ENV = {"GIT_AUTHOR_NAME": "Test Engineer", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test Engineer", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}
JOB_KEYS = {"if", "needs", "runs-on", "timeout-minutes", "permissions", "environment", "concurrency", "env", "steps"}
STEP_KEYS = {"name", "id", "if", "uses", "with", "run", "env"}
CLEAN_MIGRATION = "set lock_timeout = '5s';\nalter table public.tasks add column note text;\n"
UNSAFE_MIGRATION = "create index tasks_status_idx on public.tasks (status);\n"


def load_workflow() -> dict[str, Any]:
    workflow = yaml.safe_load((EXAMPLE / "release.yml").read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return dict(workflow)


def run_scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_workflow_structure() -> None:
    workflow = load_workflow()
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}, "push": {"branches": ["main"]}}
    assert workflow["defaults"] == {"run": {"shell": "bash"}}
    jobs = workflow["jobs"]
    assert list(jobs) == ["check", "staging", "production"]
    assert jobs["check"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["staging"]["if"] == "github.event_name == 'push'"
    assert jobs["production"]["needs"] == "staging" and jobs["production"]["environment"] == "production"
    for name in ("staging", "production"):
        assert jobs[name]["concurrency"] == {"group": f"supabase-{name}", "cancel-in-progress": False}
    steps = [step for job in jobs.values() for step in job["steps"]]
    assert {step["uses"] for step in steps if "uses" in step} == PINNED
    assert all(step["with"]["fetch-depth"] == 0 for step in steps if step.get("uses") == "actions/checkout@v4")
    assert jobs["check"]["permissions"]["security-events"] == "write"
    assert "orchestrator lint --since" in run_scripts(jobs["check"]) and "--format sarif" in run_scripts(jobs["check"])
    for name in ("staging", "production"):
        script = " ".join(run_scripts(jobs[name]).split())
        assert "orchestrator tools install" in script and f"orchestrator plan \"$PLAYBOOK\" --env {name}" in script
        assert f"orchestrator run \"$PLAYBOOK\" --env {name} --release" in script
        assert "--report-junit" in script and "--report-markdown" in script and "--output json >" in script
    assert "--approve" in run_scripts(jobs["production"]) and "--approve" not in run_scripts(jobs["staging"])


# -- the emulated runner -----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str  # pull_request | push
    sha: str  # what actions/checkout checks out
    base_sha: str = ""  # github.event.pull_request.base.sha
    head_repo: str = REPOSITORY  # github.event.pull_request.head.repo.full_name: another one for a fork


@dataclass
class Step:
    name: str
    outcome: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""
    summary: str = ""


@dataclass
class Job:
    name: str
    workspace: Path
    temp: Path
    bin: Path
    event: Event
    steps: dict[str, Step] = field(default_factory=dict)  # by id, else by name
    outcome: str = "success"

    def failed(self) -> bool:
        return any(s.outcome == "failure" for s in self.steps.values())

    def log(self) -> str:
        return "\n".join(f"--- {s.name}: {s.outcome}\n{s.log}" for s in self.steps.values())


@dataclass
class Runner:
    """One workflow run: the repository it is for, the secrets and variables, the artifacts."""

    origin: Path
    work: Path
    secrets: dict[str, str]
    vars: dict[str, str]
    sarif: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wrapper = self.work / "orchestrator-wrapper"
        self.wrapper.write_text(WRAPPER.format(repo=REPO, python=sys.executable))
        self.wrapper.chmod(0o755)

    @property
    def artifacts(self) -> Path:
        return self.work / "artifacts"

    def run(self, workflow: dict[str, Any], event: Event) -> dict[str, Job]:
        jobs: dict[str, Job] = {}
        for name, spec in workflow["jobs"].items():
            assert not set(spec) - JOB_KEYS, f"{name}: the harness does not emulate {sorted(set(spec) - JOB_KEYS)}"
            needs = [spec["needs"]] if isinstance(spec.get("needs"), str) else spec.get("needs", [])
            job = self._job(name, event)
            ready = all(jobs[n].outcome == "success" for n in needs)
            if not ready or not evaluate(spec.get("if", "success()"), self._lookup(job), failed=False):
                job.outcome = "skipped"
            else:
                self._steps(workflow, spec, job)
                job.outcome = "failure" if job.failed() else "success"
            jobs[name] = job
        return jobs

    def _job(self, name: str, event: Event) -> Job:
        root = self.work / f"{event.name}-{event.sha[:8]}-{name}"
        for sub in ("workspace", "temp", "bin", "home"):
            (root / sub).mkdir(parents=True)
        (root / "bin" / "pip").write_text(PIP_STUB.format(wrapper=self.wrapper, bin=root / "bin"))
        (root / "bin" / "pip").chmod(0o755)
        return Job(name, root / "workspace", root / "temp", root / "bin", event)

    def _steps(self, workflow: dict[str, Any], spec: dict[str, Any], job: Job) -> None:
        assert workflow["defaults"]["run"]["shell"] == "bash", "the harness runs steps with bash only"
        for index, raw in enumerate(spec["steps"]):
            unknown = set(raw) - STEP_KEYS
            assert not unknown, f"{job.name} step {index}: the harness does not emulate {sorted(unknown)}"
            name = str(raw.get("name") or raw.get("uses") or f"step {index}")
            lookup = self._lookup(job)
            if not evaluate(raw.get("if", "success()"), lookup, failed=job.failed()):
                job.steps[raw.get("id", name)] = Step(name, "skipped")
                continue
            env = {k: substitute(str(v), lookup) for layer in (workflow.get("env"), spec.get("env"), raw.get("env"))
                   for k, v in (layer or {}).items()}
            if "uses" in raw:
                step = self._action(job, name, raw["uses"], {k: substitute(str(v), lookup)
                                                             for k, v in (raw.get("with") or {}).items()})
            else:
                step = self._script(job, name, index, substitute(str(raw["run"]), lookup), env)
            assert raw.get("id", name) not in job.steps, f"{job.name}: two steps named {name!r}"
            job.steps[raw.get("id", name)] = step

    def _script(self, job: Job, name: str, index: int, script: str, env: dict[str, str]) -> Step:
        files = {key: job.temp / f"_step{index}_{key.lower()}" for key in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY",
                                                                           "GITHUB_ENV")}
        for path in files.values():
            path.write_text("")
        (job.temp / f"_step{index}.sh").write_text(script)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(job.temp / f"_step{index}.sh")],
                              cwd=job.workspace, env={**self._base_env(job), **env, **{k: str(v) for k, v in files.items()}},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
        assert files["GITHUB_ENV"].read_text() == "", f"{name}: the harness does not emulate $GITHUB_ENV"
        return Step(name, "success" if proc.returncode == 0 else "failure", read_outputs(files["GITHUB_OUTPUT"]),
                    f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}", files["GITHUB_STEP_SUMMARY"].read_text())

    def _base_env(self, job: Job) -> dict[str, str]:
        """A runner's environment: no developer's variables, no virtualenv on PATH."""
        return {"PATH": f"{job.bin}:/usr/local/bin:/usr/bin:/bin", "HOME": str(job.workspace.parent / "home"),
                "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": job.event.name,
                "GITHUB_SHA": job.event.sha, "GITHUB_JOB": job.name, "GITHUB_WORKSPACE": str(job.workspace),
                "RUNNER_TEMP": str(job.temp), "RUNNER_OS": "Linux"}

    def _action(self, job: Job, name: str, uses: str, inputs: dict[str, str]) -> Step:
        action, _, version = uses.partition("@")
        assert uses in PINNED, f"{uses}: not one of the pinned actions the harness emulates"
        ACTIONS[action](self, job, inputs)
        return Step(name, "success", log=f"emulated {action}@{version} with {inputs}")

    def _lookup(self, job: Job) -> Callable[[str], str]:
        def lookup(path: str) -> str:
            head, _, rest = path.partition(".")
            if head in ("secrets", "vars"):
                values = self.secrets if head == "secrets" else self.vars
                assert rest in values, f"${{{{ {path} }}}}: no value mapped for it"
                return values[rest]
            if head == "steps":
                step_id, kind, key = (rest.split(".") + ["", ""])[:3]
                assert step_id in job.steps, f"${{{{ {path} }}}}: no earlier step with id {step_id!r}"
                assert kind in ("outcome", "outputs"), f"${{{{ {path} }}}}: the harness maps outcome and outputs only"
                step = job.steps[step_id]
                return step.outcome if kind == "outcome" else step.outputs.get(key, "")
            known = {"github.event_name": job.event.name, "github.sha": job.event.sha, "github.repository": REPOSITORY,
                     "runner.temp": str(job.temp)}
            if job.event.name == "pull_request":
                known["github.event.pull_request.base.sha"] = job.event.base_sha
                known["github.event.pull_request.head.repo.full_name"] = job.event.head_repo
            assert path in known, f"${{{{ {path} }}}}: the harness does not know how to map it"
            return known[path]

        return lookup


_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))"
                    r"|(?P<fn>(?:always|success|failure|cancelled)\(\))|(?P<path>[A-Za-z_][\w.-]*))")


def substitute(text: str, lookup: Callable[[str], str]) -> str:
    """`${{ path }}` replaced by its value; only plain context paths are allowed in values."""
    return _EXPR.sub(lambda m: lookup(m.group(1)), text)


def evaluate(condition: str, lookup: Callable[[str], str], *, failed: bool) -> bool:
    """An `if:`, with GitHub's implicit success() when no status function is named."""
    expr = condition.strip()
    if expr.startswith("${{"):
        expr = expr.removeprefix("${{").removesuffix("}}")
    status = {"always()": True, "success()": not failed, "failure()": failed, "cancelled()": False}
    ops = {"==": "==", "!=": "!=", "&&": "and", "||": "or", "!": "not", "(": "(", ")": ")"}
    python, pos, named_status = [], 0, False
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        assert m and m.end() > pos, f"if: {condition!r}: the harness cannot evaluate {expr[pos:]!r}"
        pos = m.end()
        if m.group("str"):
            python.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("op"):
            python.append(ops[m.group("op")])
        elif m.group("fn"):
            named_status = True
            python.append(repr(status[m.group("fn")]))
        else:
            python.append(repr(lookup(m.group("path"))))
    text = " ".join(python)
    if not named_status:
        text = f"{status['success()']!r} and ({text})"
    # Only literals (repr of strings and booleans) and operators reach eval.
    return bool(eval(text, {"__builtins__": {}}))


def read_outputs(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line]
    assert all("=" in line and "<<" not in line for line in lines), f"$GITHUB_OUTPUT: unsupported lines {lines}"
    return dict(line.split("=", 1) for line in lines)


def checkout(runner: Runner, job: Job, inputs: dict[str, str]) -> None:
    assert inputs.get("fetch-depth") == "0", "the harness emulates full-history checkouts only"
    git(job.workspace.parent, "clone", "-q", "--no-checkout", str(runner.origin), str(job.workspace))
    if job.event.name == "push":
        git(job.workspace, "checkout", "-q", "-B", "main", job.event.sha)
    else:
        git(job.workspace, "checkout", "-q", "--detach", job.event.sha)


def setup_python(runner: Runner, job: Job, inputs: dict[str, str]) -> None:
    assert inputs.get("python-version"), "setup-python without a python-version"


def upload_artifact(runner: Runner, job: Job, inputs: dict[str, str]) -> None:
    paths = [line.strip() for line in inputs["path"].splitlines() if line.strip()]
    assert len(paths) == 1 and not any(c in paths[0] for c in "*?[!"), "the harness uploads one folder or file"
    source = job.workspace / paths[0]  # an absolute path stays absolute
    target = runner.artifacts / inputs["name"]
    assert not target.exists(), f"artifact {inputs['name']!r} uploaded twice (upload-artifact@v4 refuses)"
    if source.is_file():
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)
    elif source.is_dir():
        shutil.copytree(source, target, ignore=lambda _, names: [n for n in names if n.startswith(".")])


def download_artifact(runner: Runner, job: Job, inputs: dict[str, str]) -> None:
    source = runner.artifacts / inputs["name"]
    assert source.is_dir(), f"no artifact {inputs['name']!r} was uploaded in this run"
    shutil.copytree(source, job.workspace / inputs.get("path", "."), dirs_exist_ok=True)


def upload_sarif(runner: Runner, job: Job, inputs: dict[str, str]) -> None:
    document = json.loads((job.workspace / inputs["sarif_file"]).read_text())
    assert document["version"] == "2.1.0" and isinstance(document["runs"], list), "not a SARIF 2.1.0 log"
    runner.sarif.append(document)


ACTIONS: dict[str, Callable[[Runner, Job, dict[str, str]], None]] = {
    "actions/checkout": checkout, "actions/setup-python": setup_python, "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact, "github/codeql-action/upload-sarif": upload_sarif}

PIP_STUB = """#!/bin/sh
# emulated `pip install`: puts the `orchestrator` wrapper on PATH instead of installing from PyPI
[ "$1" = install ] || {{ echo "emulated pip: only install" >&2; exit 2; }}
echo "emulated: pip $*"
cp {wrapper} {bin}/orchestrator
"""
WRAPPER = """#!/bin/sh
# `orchestrator` as `pip install` would put it on PATH, running the checkout under test
if [ "$1" = tools ] && [ "$2" = install ]; then
  echo "emulated: orchestrator tools install (the supabase CLI and Deno are in {repo}/.tools)"
  exit 0
fi
PYTHONPATH={repo} exec {python} -m orchestrator "$@"
"""


# -- the repository, the targets ---------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def orchestrator_all(calls: list[list[str]]) -> list[str]:
    """`orchestrator ARGS` for each of `calls`, side by side (two targets start in the time of one)."""
    procs = [subprocess.Popen([sys.executable, "-m", "orchestrator", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
             for args in calls]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    return outputs


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[dict[str, dict[str, str]]]:
    """Two local targets (`local up`), staging's and production's: {env: the env file's settings}."""
    require_local_target()
    if shutil.which("jq") is None:
        pytest.skip("jq (preinstalled on GitHub's ubuntu runners) not installed")
    states = {env: tmp_path / f"target-{env}" for env in ("staging", "production")}
    try:
        orchestrator_all([["local", "up", "--state-dir", str(state), "--env-file", f"{state}.env"]
                          for state in states.values()])
        yield {env: {**{k: v or "" for k, v in dotenv_values(f"{state}.env").items()}, "STATE_DIR": str(state)}
               for env, state in states.items()}
    finally:
        orchestrator_all([["local", "down", "--state-dir", str(state)] for state in states.values()])


def local_playbook(settings: dict[str, dict[str, str]]) -> str:
    """The example playbook, sent to the local targets (hosted needs no api_url/functions_url)."""
    text = (EXAMPLE / "orchestrator.yaml").read_text()
    for env, values in settings.items():
        line = f"    project_ref: ${{{env.upper()}_PROJECT_REF}}\n"
        assert text.count(line) == 1, line
        text = text.replace(line, line + f"    api_url: {values['LOCAL_API_URL']}\n"
                                         f"    functions_url: {values['LOCAL_FUNCTIONS_URL']}\n")
    assert text.count("settle: 5s") == 1
    return text.replace("settle: 5s", "settle: 500ms")


def build_origin(root: Path, settings: dict[str, dict[str, str]]) -> dict[str, str]:
    """main: the demo project, the playbook and the workflow; two pull request branches off it."""
    shutil.copytree(REPO / "examples" / "demo-project", root)
    (root / "orchestrator.yaml").write_text(local_playbook(settings))
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(EXAMPLE / "release.yml", root / ".github" / "workflows" / "release.yml")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "release: demo project, playbook and workflow")
    shas = {"main": git(root, "rev-parse", "HEAD")}
    for branch, sql in (("pr-clean", CLEAN_MIGRATION), ("pr-unsafe", UNSAFE_MIGRATION)):
        git(root, "checkout", "-q", "-b", branch, "main")
        (root / "supabase" / "migrations" / "20250104000000_tasks_change.sql").write_text(sql)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"{branch}: a migration")
        shas[branch] = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "main")
    return shas


# -- the test ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.cli
def test_workflow_runs_pull_requests_then_staging_then_production(tmp_path: Path,
                                                                   targets: dict[str, dict[str, str]]) -> None:
    shas = build_origin(tmp_path / "origin", targets)
    staging, production = targets["staging"], targets["production"]
    runner = Runner(tmp_path / "origin", tmp_path, secrets={
        "STAGING_DB_URL": staging["LOCAL_DB_URL"], "STAGING_SUPABASE_ACCESS_TOKEN": staging["SUPABASE_ACCESS_TOKEN"],
        "PRODUCTION_DB_URL": production["LOCAL_DB_URL"],
        "PRODUCTION_SUPABASE_ACCESS_TOKEN": production["SUPABASE_ACCESS_TOKEN"],
    }, vars={"STAGING_PROJECT_REF": staging["LOCAL_PROJECT_REF"], "PRODUCTION_PROJECT_REF": production["LOCAL_PROJECT_REF"]})
    workflow = load_workflow()
    clean = runner.run(workflow, Event("pull_request", shas["pr-clean"], base_sha=shas["main"]))
    assert_pull_request(clean, runner, findings=False)
    unsafe = runner.run(workflow, Event("pull_request", shas["pr-unsafe"], base_sha=shas["main"]))
    assert_pull_request(unsafe, runner, findings=True)

    jobs = runner.run(workflow, Event("push", shas["main"]))
    assert jobs["check"].outcome == "skipped"
    for name in ("staging", "production"):
        assert jobs[name].outcome == "success", jobs[name].log()
        assert jobs[name].steps[f"Ship it to {name}"].summary.strip(), "no Markdown in $GITHUB_STEP_SUMMARY"
    assert_production_shipped_what_staging_verified(runner.artifacts, shas["main"], targets)


def assert_pull_request(jobs: dict[str, Job], runner: Runner, *, findings: bool) -> None:
    check = jobs["check"]
    assert jobs["staging"].outcome == jobs["production"].outcome == "skipped"
    assert check.outcome == ("failure" if findings else "success"), check.log()
    lint = check.steps["lint"]
    assert lint.outcome == "success" and lint.outputs == {"code": "1" if findings else "0", "sarif": "true"}, check.log()
    assert check.steps["Upload the lint findings to code scanning"].outcome == "success"
    results = runner.sarif[-1]["runs"][0]["results"]
    rules = {r["ruleId"] for r in results}
    assert ("require-concurrent-index" in rules) if findings else not results, results
    assert check.steps["Validate the playbook"].outcome == "success", check.log()
    failing = check.steps["Fail on lint findings"]
    assert failing.outcome == ("failure" if findings else "skipped"), check.log()
    assert failing.log.startswith("exit 1\n") == findings, failing.log  # lint's own exit code
    assert ("::error file=supabase/migrations/20250104000000_tasks_change.sql" in failing.log) == findings


def assert_production_shipped_what_staging_verified(artifacts: Path, main_sha: str,
                                                    targets: dict[str, dict[str, str]]) -> None:
    staged_dir, shipped_dir = artifacts / "release", artifacts / "production-release"
    staged = json.loads((staged_dir / "release.json").read_text())
    shipped = json.loads((shipped_dir / "release.json").read_text())
    assert (staged["environment"], shipped["environment"]) == ("staging", "production")
    assert shipped["release"] == staged["release"] and shipped["commit"] == staged["commit"] == main_sha
    reports = {}
    for folder in (staged_dir, shipped_dir):
        reports[folder] = json.loads((folder / "report.json").read_text())
        assert reports[folder]["outcome"] == "succeeded" and reports[folder]["exit_code"] == 0, reports[folder]
        assert ET.parse(folder / "junit.xml").getroot().tag in ("testsuites", "testsuite")
        assert (folder / "summary.md").read_text().strip()
    [journal] = (shipped_dir / "journal").glob("*.jsonl")
    events = list(read_events(journal))
    start = next(e for e in events if e["event"] == "run_start")
    assert start["git_commit"] == main_sha and start["options"]["planned"]["release"] == staged["release"]
    gate = next(e for e in events if e["event"] == "gate_passed")
    assert (gate["required"], gate["release"], gate["run"]) == ("staging", staged["release"],
                                                                 reports[staged_dir]["run_id"])
    with psycopg.connect(targets["production"]["LOCAL_DB_URL"]) as conn:
        rows = conn.execute("select release, git_commit, outcome, approved_by from supabase_orchestrator.runs "
                            "where environment = 'production'").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(staged["release"], main_sha, "succeeded")]
    assert rows[0][3].endswith("(--approve)")
    production = LocalTarget.attach(Path(targets["production"]["STATE_DIR"])).client
    try:
        assert [len(production.function_versions(n)) for n in ("hello", "create-task", "complete-task")] == [1, 1, 1]
    finally:
        production.close()
