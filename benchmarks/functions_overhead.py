"""Orchestrator overhead of a 10-function rollout against the local target.

    python benchmarks/functions_overhead.py [--functions 10] [--settle 1]

Overhead = wall time of `orchestrator run` minus the time spent inside `supabase` processes (the
journal's `cli` events carry `duration_s`) minus the configured waits (settle, per function).
Goal: at most 2% of the wall time and at most 1 s. Also printed: the same figure without the
smoke calls and log queries (time the target spends serving them, e.g. booting a Deno worker)
and without Python's start-up and the smoke calls (the target boots a Deno worker per new version), so a regression can be placed.

`--tcp-nodelay` starts the simulator with Nagle's algorithm off (a sitecustomize on its
PYTHONPATH): its HTTP server writes headers and body separately, so every response otherwise
waits ~40 ms for the client's delayed ACK, an artefact of the simulator, not of the orchestrator.
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

SHARED = 'export const greet = (who: string): string => `hello ${who}`;\n'
SOURCE = 'import { greet } from "../_shared/greet.ts";\nDeno.serve((_req) => new Response(greet("NAME")));\n'
PLAYBOOK = """\
version: 1
name: overhead
environments:
  bench:
    project_ref: {ref}
    api_url: {api}
    functions_url: {fn}
    db_url: ${{BENCH_DB_URL}}
steps:
  - functions:
      names: [{names}]
      checks:
        settle: {settle}s
        smoke: {{method: GET}}
        logs: {{window: 60s, max_errors: 0}}
      pause: never
"""


# ORCH_BENCH_PROFILE=out.prof profiles the orchestrator process with cProfile.
PROFILE = ["-m", "cProfile", "-o", os.environ["ORCH_BENCH_PROFILE"]] if os.environ.get("ORCH_BENCH_PROFILE") else []


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def make_project(root: Path, names: list[str], target: LocalTarget, settle: float) -> Path:
    functions = root / "supabase" / "functions"
    (functions / "_shared").mkdir(parents=True)
    (functions / "_shared" / "greet.ts").write_text(SHARED)
    for name in names:
        (functions / name).mkdir()
        (functions / name / "index.ts").write_text(SOURCE.replace("NAME", name))
    (root / "supabase" / "config.toml").write_text('project_id = "bench"\n')
    (root / "playbook.yaml").write_text(PLAYBOOK.format(ref=target.project_ref, api=target.api_url,
                                                        fn=target.functions_url, names=", ".join(names),
                                                        settle=settle))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bench")
    return root / "playbook.yaml"


def run(root: Path, playbook: Path, target: LocalTarget) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env.update(SUPABASE_ACCESS_TOKEN=target.access_token, BENCH_DB_URL=target.db_url,
               PYTHONPATH=str(REPO), CI="true")
    start = time.monotonic()
    done = subprocess.run([sys.executable, *PROFILE, "-m", "orchestrator", "run", str(playbook), "--env", "bench", "--yes"],
                          cwd=root, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False)
    return time.monotonic() - start, done.returncode, done.stdout + done.stderr


def journal(root: Path) -> list[dict[str, Any]]:
    path = max((root / ".orchestrator" / "runs").glob("*.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def figures(wall: float, events: list[dict[str, Any]], waits: float) -> dict[str, float]:
    cli = sum(e["duration_s"] for e in events if e["event"] == "cli")
    stamps = [e["ts"] for e in events if e["event"] in {"run_start", "run_end"}]
    from datetime import datetime

    in_process = (datetime.fromisoformat(stamps[-1]) - datetime.fromisoformat(stamps[0])).total_seconds()
    smoke = sum(e["duration_s"] for e in events if e["event"] == "smoke")
    overhead = wall - cli - waits
    return {"wall_s": wall, "cli_s": cli, "waits_s": waits, "overhead_s": overhead,
            "overhead_pct": 100 * overhead / wall, "startup_and_exit_s": wall - in_process,
            "overhead_in_process_s": in_process - cli - waits, "smoke_calls_s": smoke,
            "overhead_in_process_without_smoke_s": in_process - cli - waits - smoke}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=10)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--tcp-nodelay", action="store_true", help="simulator without Nagle (see above)")
    args = parser.parse_args()
    if args.tcp_nodelay:
        patch = Path(tempfile.mkdtemp(prefix="orch-nodelay-"))
        (patch / "sitecustomize.py").write_text("import socketserver\n"
                                                "socketserver.StreamRequestHandler.disable_nagle_algorithm = True\n")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(patch), os.environ.get("PYTHONPATH")]))
    names = [f"fn-{i:02d}" for i in range(args.functions)]
    with tempfile.TemporaryDirectory(prefix="orch-bench-") as tmp, LocalTarget() as target:
        root = Path(tmp) / "project"
        playbook = make_project(root, names, target, args.settle)
        wall, code, out = run(root, playbook, target)
        if code != 0:
            print(out)
            return 1
        result = figures(wall, journal(root), args.settle * len(names))
    print(f"{args.functions} functions, settle {args.settle:g}s each"
          + (", simulator with TCP_NODELAY" if args.tcp_nodelay else ""))
    for key, value in result.items():
        print(f"  {key:<38} {value:8.3f}")
    ok = result["overhead_s"] <= 1.0 and result["overhead_pct"] <= 2.0
    print("goal (<= 2% and <= 1 s):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
