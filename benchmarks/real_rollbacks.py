"""Issue 9 on real public Supabase projects: forward deploys, rollbacks exact, emergency rollback time.

    .venv/bin/python benchmarks/real_rollbacks.py Cap-go/capgo AgentOps-AI/agentops [...]
        [--max-functions 8] [--back 10] [--json OUT]

A project is `owner/name` (the git mirror the search tool's `fetch` brought to
/work/.mirror/owner+name/repo) or a path to a git directory, optionally `@A..B` to choose the two
commits. For each project, in a clone in a temporary folder (nothing fetched is ever committed):

1. B is HEAD when HEAD has functions, else the newest commit that has some; A is the `--back`-th
   older commit that touched `<project>/supabase/functions` (so functions changed between them).
   Up to `--max-functions` functions that have an entrypoint at both are taken, those whose own
   folder changed between A and B first. The folder holding `supabase/` may be anywhere in the
   repository (monorepos).
2. A playbook (untracked, git-excluded) lists them with `on_failure: continue`; `orchestrator run`
   deploys them at A, then at B (`--redeploy`), with the orchestrator's default CLI (supabase 3)
   against a LocalTarget this script starts and stops.
3. The oracle: a plain `supabase functions deploy NAME --use-api` run by hand in a clean checkout
   (git worktree) of A, with the project's own config.toml, to a second LocalTarget. supabase 3
   first; supabase 2 when 3 fails (the report says which, and why). When neither CLI reads A's
   config.toml, nobody could deploy A by hand as it is: the oracle then cuts config.toml to
   `project_id` and `[functions.*]` and uses supabase 3 (said in the report).
4. One function changed between A and B is rolled back with `orchestrator rollback NAME --to
   last-good` (the emergency: one command, timed, in a fresh process); every other one with
   `--to A`. What the simulator stored for the rollback's version is compared, file by file and
   byte for byte, with what the oracle stored; so is the forward deploy at A. As a control, the
   forward deploy at B is compared with the oracle at A too: it must differ for functions whose
   inputs changed, or the comparison proves nothing.

A mirror may lack its largest blobs; checkouts leave exactly those files out (sparse checkout),
and the report lists them.

Paths are compared repository-relative: the simulator keeps upload names below
`supabase/functions/` and the absolute name of anything else, which is cut at the staged folder
(ours) or the checkout (the oracle's).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestrator.function_inputs import ENTRYPOINTS
from orchestrator.local.target import LocalTarget
from orchestrator.tools import local_supabase

MIRRORS = Path("/work/.mirror")
TIMEOUT = 1800
ENV = "bench"
PLAYBOOK = """\
version: 1
name: real-rollbacks
project_dir: {project_dir}
environments:
  {env}:
    project_ref: ${{BENCH_REF}}
    api_url: ${{BENCH_API_URL}}
    functions_url: ${{BENCH_FUNCTIONS_URL}}
    db_url: ${{BENCH_DB_URL}}
steps:
  - functions:
      names: [{names}]
      checks: {{settle: 0s}}
      pause: never
      on_failure: continue
"""
_REFUSED = re.compile(r"config|toml|invalid keys|decod|no longer supported", re.IGNORECASE)
_STAGED = re.compile(r"^(?:.*?/)?orch-deploy-[^/]+/")


@dataclass
class Compared:
    exact: bool = False
    only_ours: list[str] = field(default_factory=list)
    only_theirs: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)


@dataclass
class FunctionResult:
    name: str
    changed_folder: bool = False  # its own folder changed between A and B
    forward_a: str = ""  # outcome in the run at A
    forward_b: str = ""  # outcome in the run at B
    forward_a_vs_oracle: Compared | None = None
    b_differs_from_oracle_a: bool | None = None  # a control: the comparison does tell B from A
    oracle_cli: str = ""
    oracle_error: str = ""
    oracle_files: int = 0
    rollback_to: str = ""  # "last-good" or A
    rollback_ok: bool = False
    rollback_commit: str = ""
    rollback_wall_s: float = 0.0
    rollback_cli_s: float = 0.0
    rollback_error: str = ""
    rollback_vs_oracle: Compared | None = None


@dataclass
class ProjectResult:
    project: str
    commits: int = 0
    functions_at_b: int = 0
    project_dir: str = ""
    commit_a: str = ""
    commit_b: str = ""
    oracle_note: str = ""
    error: str = ""
    absent: list[str] = field(default_factory=list)  # files the mirror has no blob for (left out of checkouts)
    functions: list[FunctionResult] = field(default_factory=list)


# -- git ------------------------------------------------------------------------------------------


def git(repo: Path, *args: str, input: str | None = None) -> str:
    done = subprocess.run(["git", "-c", "core.quotePath=false", "-C", str(repo), *args], capture_output=True, text=True, input=input,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)[:200]}: exit {done.returncode}: {done.stderr.strip()[-600:]}")
    return done.stdout.strip()


def absent_blobs(repo: Path, *commits: str) -> list[str]:
    """Files of these commits whose blobs the mirror does not hold (its largest files are left out)."""
    absent: set[str] = set()
    for commit in commits:
        entries = [line.split("\t", 1) for line in git(repo, "ls-tree", "-r", commit).splitlines()]
        blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
        checked = git(repo, "cat-file", "--batch-check", input="".join(f"{oid}\n" for oid, _ in blobs))
        absent |= {path for (_, path), line in zip(blobs, checked.splitlines(), strict=True) if line.endswith("missing")}
    return sorted(absent)


def sparse(repo: Path, absent: list[str]) -> None:
    """Check out everything but the absent blobs (a checkout of a mirror with absent blobs fails)."""
    if absent:
        patterns = ["/*", *("!/" + re.sub(r"([*?\[\]\\!#])", r"\\\1", p) for p in absent)]
        git(repo, "sparse-checkout", "set", "--no-cone", "--stdin", input="\n".join(patterns) + "\n")


def mirror_of(spec: str) -> tuple[Path, str]:
    """(git dir, "A..B" or "") for `owner/name[@A..B]` or `path[@A..B]`."""
    where, _, commits = spec.partition("@")
    path = Path(where)
    if not path.exists():
        path = MIRRORS / where.replace("/", "+") / "repo"
    return path, commits


def entrypoints(repo: Path, commit: str) -> dict[str, list[str]]:
    """project folder (repository-relative, '' or 'app/') -> function names with an entrypoint."""
    found: dict[str, set[str]] = {}
    pattern = re.compile(r"^(.*?)supabase/functions/([^/_.][^/]*)/(" + "|".join(map(re.escape, ENTRYPOINTS)) + ")$")
    for path in git(repo, "ls-tree", "-r", "--name-only", commit).splitlines():
        match = pattern.match(path)
        if match and "node_modules/" not in path:
            found.setdefault(match.group(1), set()).add(match.group(2))
    return {k: sorted(v) for k, v in found.items()}


def choose_commits(repo: Path, commits: str, back: int) -> tuple[str, str, str]:
    """(A, B, project folder)."""
    if commits:
        a, _, b = commits.partition("..")
        a, b = git(repo, "rev-parse", a), git(repo, "rev-parse", b or "HEAD")
        prefix = max(entrypoints(repo, b).items(), key=lambda kv: len(kv[1]))[0]
        return a, b, prefix
    touching = git(repo, "log", "--format=%H", "HEAD", "--", "*supabase/functions/*").splitlines()
    head = git(repo, "rev-parse", "HEAD")
    for b in [head, *touching]:
        if entrypoints(repo, b):
            break
    else:
        raise RuntimeError("no commit has a function")
    prefix = max(entrypoints(repo, b).items(), key=lambda kv: len(kv[1]))[0]
    at_b = set(entrypoints(repo, b)[prefix])
    older = [c for c in git(repo, "log", "--format=%H", b, "--", f"{prefix}supabase/functions").splitlines()
             if c != b and at_b & set(entrypoints(repo, c).get(prefix, []))]
    if not older:
        older = [git(repo, "log", "-1", "--format=%H", b, "--", f"{prefix}supabase/functions")]
    return older[min(back, len(older)) - 1], b, prefix


def pick_functions(repo: Path, a: str, b: str, prefix: str, cap: int) -> list[tuple[str, bool]]:
    both = sorted(set(entrypoints(repo, a).get(prefix, [])) & set(entrypoints(repo, b).get(prefix, [])))
    changed = {p.removeprefix(f"{prefix}supabase/functions/").split("/")[0]
               for p in git(repo, "diff", "--name-only", a, b, "--", f"{prefix}supabase/functions").splitlines()}
    ranked = sorted(both, key=lambda n: (n not in changed, n))
    return [(n, n in changed) for n in ranked[:cap]]


# -- running things -------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "ORCHESTRATOR_"))}


def orchestrator(root: Path, target: LocalTarget, *args: str) -> tuple[float, int, str]:
    """`python -m orchestrator ARGS` in a fresh process from the clone's root: (wall s, exit, output)."""
    cli3 = local_supabase(3)
    env = {**clean_env(), "SUPABASE_ACCESS_TOKEN": target.access_token, "BENCH_REF": target.project_ref,
           "BENCH_API_URL": target.api_url, "BENCH_FUNCTIONS_URL": target.functions_url,
           "BENCH_DB_URL": target.db_url, "PYTHONPATH": str(REPO), "CI": "true", "NO_COLOR": "1",
           "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           **({"SUPABASE_CLI": str(cli3)} if cli3 else {})}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=root, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT, check=False)
    return time.monotonic() - start, done.returncode, done.stdout + done.stderr


def newest_journal(root: Path) -> list[dict[str, Any]]:
    paths = [p for p in root.rglob(".orchestrator/runs/*.jsonl") if "node_modules" not in p.parts]
    newest = max(paths, key=lambda p: p.stat().st_mtime)
    return [json.loads(line) for line in newest.read_text().splitlines() if line.strip()]


def run_outcomes(root: Path, target: LocalTarget, *extra: str) -> tuple[dict[str, str], str]:
    """Run the playbook; (function -> outcome, the failure text when the run did not finish)."""
    _, code, output = orchestrator(root, target, "run", "orchestrator.yaml", "--env", ENV, "--yes", "-o", "json",
                                   *extra)
    start = output.find("{\n")
    try:
        report = json.loads(output[start:output.rindex("}") + 1]) if start >= 0 else {}
    except ValueError:
        report = {}
    outcomes = {f["name"]: f["outcome"] for f in report.get("functions", [])}
    error = report.get("error") or output[-1500:]
    return outcomes, ("" if outcomes else f"exit {code}: {error}")


def stored(target: LocalTarget, name: str, roots: list[Path]) -> dict[str, bytes]:
    """The newest version's files, repository-relative where the simulator kept an absolute name."""
    versions = target.client.function_versions(name)
    files = target.client.function_files(name, versions[-1].version)
    return {_repo_relative(path, roots): data for path, data in files.items()}


def _repo_relative(path: str, roots: list[Path]) -> str:
    for root in roots:
        prefix = root.resolve().as_posix().lstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix):]
    return _STAGED.sub("", path)


def compare(ours: dict[str, bytes], theirs: dict[str, bytes]) -> Compared:
    only_ours, only_theirs = sorted(ours.keys() - theirs.keys()), sorted(theirs.keys() - ours.keys())
    differing = sorted(p for p in ours.keys() & theirs.keys() if ours[p] != theirs[p])
    return Compared(not (only_ours or only_theirs or differing), only_ours, only_theirs, differing)


class Oracle:
    """A plain `supabase functions deploy NAME --use-api` in a clean checkout, to its own target."""

    def __init__(self, target: LocalTarget, checkout: Path, home: Path) -> None:
        self.target, self.checkout, self.home = target, checkout, home
        self.major = 3
        self.note = ""

    def deploy(self, name: str) -> tuple[dict[str, bytes] | None, str, str]:
        """(the stored files or None, why not, which CLI deployed)."""
        output = self._deploy(self.major, name)
        used = f"supabase {self.major}"
        if output is not None and self.major == 3 and not self.note:
            retry = self._deploy(2, name)
            if retry is None and _REFUSED.search(output):
                self.note = f"supabase 3 refused the project ({_why(output)}); oracle used supabase 2"
                self.major, used, output = 2, "supabase 2", None
            elif retry is None:
                used, output = f"supabase 2 (supabase 3 failed: {_tail(output)})", None
            elif _REFUSED.search(output) and _REFUSED.search(retry):
                output, used = self._cut_config(name, output, retry), "supabase 3 (config.toml cut)"
            else:
                output = f"supabase 3: {_tail(output)} | supabase 2: {_tail(retry)}"
        if output is not None:
            return None, output[-800:], used
        return stored(self.target, name, [self.checkout]), "", used

    def _cut_config(self, name: str, out3: str, out2: str) -> str | None:
        """Neither CLI reads the project's config.toml at A: nobody could deploy that commit by hand
        as it is. The oracle then deploys with supabase 3 from the same checkout with config.toml cut
        to `project_id` and the `[functions.*]` tables (what a human would do to get a deploy out)."""
        config = self.checkout / "supabase" / "config.toml"
        kept, keep = [], True
        for line in config.read_text().splitlines():
            if re.match(r"\s*\[", line):
                keep = bool(re.match(r"\s*\[functions\.", line))
            if keep and (kept or re.match(r"\s*(project_id\s*=|\[functions\.)", line)):
                kept.append(line)
        config.write_text("\n".join(kept) + "\n")
        self.note = (f"neither CLI reads the project's config.toml at A (supabase 3: {_why(out3)}; supabase 2: "
                     f"{_why(out2)}); oracle used supabase 3 with config.toml cut to project_id and [functions.*]")
        return self._deploy(3, name)

    def _deploy(self, major: int, name: str) -> str | None:
        """None when a new version went live without a warning; else the CLI's output."""
        cli = local_supabase(major)
        if cli is None:
            return f"supabase {major}.x not installed"
        env = {**clean_env(), **self.target.cli_env(), "SUPABASE_HOME": str(self.home), "NO_COLOR": "1"}
        before = len(self.target.client.function_versions(name))
        done = subprocess.run([str(cli), "--workdir", str(self.checkout), "--yes", "functions", "deploy", name,
                               "--use-api", f"--project-ref={self.target.project_ref}"], env=env, cwd=self.checkout,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        output = done.stdout + done.stderr
        if done.returncode != 0 or len(self.target.client.function_versions(name)) <= before:
            return output or f"exit {done.returncode}"
        if "failed to read file" in output:
            return "the CLI warned: " + " / ".join(ln for ln in output.splitlines() if "failed to read" in ln)
        return None


def _tail(output: str) -> str:
    return " / ".join(ln.strip() for ln in output.splitlines()[-4:] if ln.strip())[-400:]


def _why(output: str) -> str:
    return " / ".join(ln.strip() for ln in output.splitlines() if _REFUSED.search(ln) or "Expected" in ln)[:240]


# -- one project ----------------------------------------------------------------------------------


def measure(spec: str, work: Path, cap: int, back: int) -> ProjectResult:
    result = ProjectResult(spec.partition("@")[0])
    try:
        _measure(spec, work, cap, back, result)
    except (subprocess.SubprocessError, RuntimeError, OSError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:1500]
    return result


def _measure(spec: str, work: Path, cap: int, back: int, result: ProjectResult) -> None:
    mirror, commits = mirror_of(spec)
    root = work / "repo"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirror), str(root)], check=True)
    result.commits = int(git(root, "rev-list", "--count", "HEAD"))
    a, b, prefix = choose_commits(root, commits, back)
    result.commit_a, result.commit_b, result.project_dir = a, b, prefix.rstrip("/") or "."
    result.functions_at_b = len(entrypoints(root, b)[prefix])
    picked = pick_functions(root, a, b, prefix, cap)
    result.functions = [FunctionResult(n, changed_folder=c) for n, c in picked]
    if not picked:
        result.error = "no function has an entrypoint at both A and B"
        return
    names = [f.name for f in result.functions]
    (root / "orchestrator.yaml").write_text(PLAYBOOK.format(project_dir=result.project_dir, env=ENV,
                                                            names=", ".join(names)))
    with (root / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("/orchestrator.yaml\n")
    absent = absent_blobs(root, a, b)
    result.absent = absent
    sparse(root, absent)
    checkout = work / "oracle-a"
    git(root, "worktree", "add", "-q", "--no-checkout", "--detach", str(checkout), a)
    sparse(checkout, absent)
    git(checkout, "checkout", "-q", "--detach", a)
    with LocalTarget(rate_limit=100_000) as ours, LocalTarget(rate_limit=100_000) as theirs:
        oracle = Oracle(theirs, checkout / prefix, work / "supabase-home")
        truth = _forward(root, ours, oracle, result, a, b, prefix)
        _rollbacks(root, ours, result, truth, a, prefix)
        result.oracle_note = oracle.note or "supabase 3 (the project's config.toml as it is at A)"


def _forward(root: Path, ours: LocalTarget, oracle: Oracle, result: ProjectResult, a: str, b: str,
             prefix: str) -> dict[str, dict[str, bytes]]:
    """Deploy at A (and record what went live), the oracle at A, then deploy at B."""
    git(root, "checkout", "-q", "--detach", a)
    outcomes_a, error = run_outcomes(root, ours)
    live_a = {f.name: stored(ours, f.name, [root]) for f in result.functions if outcomes_a.get(f.name) == "deployed"}
    truth: dict[str, dict[str, bytes]] = {}
    for f in result.functions:
        f.forward_a = outcomes_a.get(f.name, error[:300] or "not in the report")
        files, f.oracle_error, f.oracle_cli = oracle.deploy(f.name)
        if files is not None:
            truth[f.name], f.oracle_files = files, len(files)
            if f.name in live_a:
                f.forward_a_vs_oracle = compare(live_a[f.name], files)
        print(f"  {f.name}: run at A {f.forward_a}, oracle {len(files or {})} files {f.oracle_error[:200]}",
              file=sys.stderr, flush=True)
    git(root, "checkout", "-q", "--detach", b)
    outcomes_b, error = run_outcomes(root, ours, "--redeploy")
    for f in result.functions:
        f.forward_b = outcomes_b.get(f.name, error[:300] or "not in the report")
        if f.forward_b == "deployed" and f.name in truth:  # the control: B's upload is not A's
            f.b_differs_from_oracle_a = not compare(stored(ours, f.name, [root]), truth[f.name]).exact
    return truth


def _rollbacks(root: Path, ours: LocalTarget, result: ProjectResult, truth: dict[str, dict[str, bytes]], a: str,
               prefix: str) -> None:
    emergency = next((f for f in result.functions if f.changed_folder and f.forward_a == "deployed"
                      and f.forward_b == "deployed"), None)
    for f in result.functions:
        f.rollback_to = "last-good" if f is emergency else a
        wall, code, output = orchestrator(root, ours, "rollback", f.name, "--env", ENV, "--to", f.rollback_to,
                                          "--yes", "--playbook", "orchestrator.yaml")
        events = newest_journal(root / prefix if prefix else root)
        f.rollback_wall_s = wall
        f.rollback_cli_s = sum(e.get("duration_s", 0.0) for e in events
                               if e["event"] == "cli" and "deploy" in e.get("argv", []))
        f.rollback_commit = next((e["commit"] for e in events if e["event"] == "rollback"), "")
        f.rollback_ok = code == 0
        if code != 0:
            f.rollback_error = output[-800:]
        elif f.name in truth:
            f.rollback_vs_oracle = compare(stored(ours, f.name, [root]), truth[f.name])
        verdict = ("no oracle" if f.rollback_vs_oracle is None else
                   "exact" if f.rollback_vs_oracle.exact else "NOT exact")
        print(f"  rollback {f.name} --to {f.rollback_to[:12]}: exit {code}, {verdict}, {wall:.1f}s",
              file=sys.stderr, flush=True)


# -- report ---------------------------------------------------------------------------------------


def summary(p: ProjectResult) -> dict[str, Any]:
    fs = p.functions
    judged = [f for f in fs if f.rollback_vs_oracle is not None]
    forward_judged = [f for f in fs if f.forward_a_vs_oracle is not None]
    emergency = next((f for f in fs if f.rollback_to == "last-good"), None)
    return {
        "project": p.project, "commits": p.commits, "functions_at_B": p.functions_at_b, "project_dir": p.project_dir,
        "A..B": f"{p.commit_a[:9]}..{p.commit_b[:9]}", "tried": len(fs),
        "forward_A_ok": sum(f.forward_a == "deployed" for f in fs),
        "forward_B_ok": sum(f.forward_b == "deployed" for f in fs),
        "forward_A_exact": f"{sum(f.forward_a_vs_oracle.exact for f in forward_judged if f.forward_a_vs_oracle)}"
                           f"/{len(forward_judged)}",
        "rollbacks_ok": sum(f.rollback_ok for f in fs),
        "rollbacks_exact": f"{sum(f.rollback_vs_oracle.exact for f in judged if f.rollback_vs_oracle)}/{len(judged)}",
        "oracle_failed": sum(bool(f.oracle_error) for f in fs),
        "control_B_differs_from_A": f"{sum(bool(f.b_differs_from_oracle_a) for f in fs)}"
                                    f"/{sum(f.b_differs_from_oracle_a is not None for f in fs)}",
        "emergency": (f"{emergency.name} --to last-good: {emergency.rollback_wall_s:.2f}s wall "
                      f"({emergency.rollback_cli_s:.2f}s CLI deploy), picked "
                      f"{'A' if emergency.rollback_commit == p.commit_a else emergency.rollback_commit[:9]}")
                     if emergency else "none (no function changed between A and B)",
        "oracle": p.oracle_note, "error": p.error,
    }


def print_report(results: list[ProjectResult]) -> None:
    head = ("project", "commits", "fns@B", "A..B", "tried", "fwd A ok", "fwd B ok", "fwd A exact", "rb ok",
            "rb exact")
    rows = [head]
    for p in results:
        s = summary(p)
        rows.append((s["project"], str(s["commits"]), str(s["functions_at_B"]), s["A..B"], str(s["tried"]),
                     str(s["forward_A_ok"]), str(s["forward_B_ok"]), s["forward_A_exact"], str(s["rollbacks_ok"]),
                     s["rollbacks_exact"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    for p in results:
        s = summary(p)
        print(f"\n== {p.project} (project folder {p.project_dir}; oracle: {s['oracle']})")
        if p.error:
            print(f"   error: {p.error}")
        if p.absent:
            print(f"   left out of the checkouts (no blob in the mirror): {', '.join(p.absent)[:300]}")
        print(f"   emergency rollback: {s['emergency']}")
        print(f"   control: the upload at B differs from the oracle's at A for {s['control_B_differs_from_A']} "
              "functions (identical inputs at A and B make the rest)")
        for f in p.functions:
            _print_function(f)


def _print_function(f: FunctionResult) -> None:
    problems = []
    if f.forward_a != "deployed" or f.forward_b != "deployed":
        problems.append(f"forward A {f.forward_a} / B {f.forward_b}")
    if f.oracle_error:
        problems.append(f"oracle failed: {f.oracle_error[-300:]}")
    if not f.rollback_ok:
        problems.append(f"rollback failed: {f.rollback_error[-400:]}")
    for label, c in (("forward at A", f.forward_a_vs_oracle), ("rollback", f.rollback_vs_oracle)):
        if c is not None and not c.exact:
            problems.append(f"{label}: only ours {c.only_ours}, only theirs {c.only_theirs}, differing {c.differing}")
    status = "; ".join(problems) or f"exact ({f.oracle_files} files)"
    print(f"   - {f.name} (rollback --to {f.rollback_to[:12]}, {f.rollback_wall_s:.2f}s): {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="+", help="owner/name (a fetched mirror) or a git dir, optionally @A..B")
    parser.add_argument("--max-functions", type=int, default=8, help="functions per project (default 8)")
    parser.add_argument("--back", type=int, default=10,
                        help="A is this many function-touching commits before B (default 10)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clones (their path is printed)")
    args = parser.parse_args(argv)
    results: list[ProjectResult] = []
    for spec in args.projects:
        work = Path(tempfile.mkdtemp(prefix="real-rollbacks-"))
        print(f"{spec}: {work}", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            results.append(measure(spec, work, args.max_functions, args.back))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        print(f"  ({time.monotonic() - started:.0f}s)", file=sys.stderr, flush=True)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps([{**summary(p), "detail": asdict(p)} for p in results], indent=1))
    largest = max((p for p in results if p.functions), key=lambda p: p.commits, default=None)
    if largest is not None:
        print(f"\nlargest repository: {largest.project} ({largest.commits} commits, {largest.functions_at_b} "
              f"functions at B): emergency rollback {summary(largest)['emergency']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
