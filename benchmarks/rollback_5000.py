"""Emergency rollback in a repository with 5,000 commits, against the local target.

    python benchmarks/rollback_5000.py [--commits 5000]

The history is written with `git fast-import` (20 functions and a _shared folder, one file
changed per commit). Two playbook runs record deploys of `fn-00` in the ledger (an early commit,
then HEAD); then `orchestrator rollback fn-00 --to last-good --yes` is timed, and once more with
`--to <the first commit>`. Goal: at most one CLI deploy plus 1 s (the CLI deploy's duration is
read from the rollback's journal).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestrator.local.target import LocalTarget

FUNCTIONS = 20
PLAYBOOK = """\
version: 1
name: rollback-bench
environments:
  bench:
    project_ref: {ref}
    api_url: {api}
    functions_url: {fn}
    db_url: ${{BENCH_DB_URL}}
steps:
  - functions: {{names: [fn-00], checks: {{settle: 0s}}, pause: never}}
"""


def _blob(path: str, text: str) -> bytes:
    data = text.encode()
    return f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"


def _source(i: int, n: int) -> str:
    return (f'import {{ greet }} from "../_shared/greet.ts";\n'
            f'Deno.serve((_req) => new Response(greet("fn-{i:02d} rev {n}")));\n')


def fast_import_stream(commits: int, playbook: str) -> bytes:
    out = bytearray()
    for n in range(commits):
        when = 1_600_000_000 + n * 60
        out += (f"commit refs/heads/main\nauthor Bench <bench@example.com> {when} +0000\n"
                f"committer Bench <bench@example.com> {when} +0000\n").encode()
        message = f"change {n}".encode()
        out += f"data {len(message)}\n".encode() + message + b"\n"
        if n == 0:
            out += _blob("supabase/config.toml", 'project_id = "bench"\n') + _blob("orchestrator.yaml", playbook)
            out += _blob("supabase/functions/_shared/greet.ts", "export const greet = (w: string) => w;\n")
            for i in range(FUNCTIONS):
                out += _blob(f"supabase/functions/fn-{i:02d}/index.ts", _source(i, 0))
        else:
            i = n % FUNCTIONS
            out += _blob(f"supabase/functions/fn-{i:02d}/index.ts", _source(i, n))
        out += b"\n"
    return bytes(out)


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=True)
    return done.stdout.decode().strip()


def orchestrator(root: Path, target: LocalTarget, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env.update(SUPABASE_ACCESS_TOKEN=target.access_token, BENCH_DB_URL=target.db_url, PYTHONPATH=str(REPO),
               CI="true", GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=root, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"orchestrator {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return time.monotonic() - start, done.stdout


def journal(root: Path) -> list[dict[str, Any]]:
    path = max((root / ".orchestrator" / "runs").glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def timed_rollback(root: Path, target: LocalTarget, to: str) -> tuple[dict[str, float], str]:
    wall, _ = orchestrator(root, target, "rollback", "fn-00", "--env", "bench", "--to", to, "--yes")
    events = journal(root)
    deploys = [e["duration_s"] for e in events if e["event"] == "cli" and "deploy" in e["argv"]]
    other_cli = sum(e["duration_s"] for e in events if e["event"] == "cli") - sum(deploys)
    [commit] = [e["commit"] for e in events if e["event"] == "rollback"]
    return {"wall_s": wall, "cli_deploy_s": sum(deploys), "other_cli_s (--version)": other_cli,
            "beyond_deploy_s": wall - sum(deploys), "beyond_all_cli_s": wall - sum(deploys) - other_cli}, commit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as tmp, LocalTarget() as target:
        root = Path(tmp) / "repo"
        git(Path(tmp), "init", "-q", "-b", "main", str(root))
        playbook = PLAYBOOK.format(ref=target.project_ref, api=target.api_url, fn=target.functions_url)
        started = time.monotonic()
        git(root, "fast-import", "--quiet", input=fast_import_stream(args.commits, playbook))
        git(root, "checkout", "-q", "-f", "main")
        built = time.monotonic() - started
        first = git(root, "rev-list", "--max-parents=0", "HEAD")
        early = git(root, "rev-parse", "HEAD~4000" if args.commits > 4000 else "HEAD~1")
        git(root, "checkout", "-q", "--detach", early)
        orchestrator(root, target, "run", "orchestrator.yaml", "--env", "bench", "--yes")
        git(root, "checkout", "-q", "main")
        orchestrator(root, target, "run", "orchestrator.yaml", "--env", "bench", "--yes")
        (last_good, picked), (oldest, _) = timed_rollback(root, target, "last-good"), timed_rollback(root, target, first)
        results = {"last-good": last_good, "first commit": oldest}
    print(f"{args.commits} commits (fast-import + checkout {built:.1f}s); last-good picked the early deploy: "
          f"{'yes' if picked == early else 'NO: ' + picked}")
    for label, figures in results.items():
        line = "  ".join(f"{k} {v:6.3f}" for k, v in figures.items())
        verdict = "met" if figures["beyond_deploy_s"] <= 1.0 else "NOT met"
        print(f"  rollback --to {label:<13} {line}  goal (deploy + 1 s): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
