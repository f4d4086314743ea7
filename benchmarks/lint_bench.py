"""Wall time of our linter vs squawk on the same generated corpus, in the same run.

    python benchmarks/lint_bench.py [--files 2000] [--rounds 5] [--keep DIR] [--baseline REV]
                                    [--real [owner/name[:subdir] ...]] [--squawk PATH]

Both tools run as a user would run them (a fresh process over every file), alternating, several
rounds; the report gives each tool's median and the ratio ours/squawk (goal: <= 1.0).
Our side runs `python -m orchestrator.lint` (the command module's entry). `--baseline REV` also
times that git revision of the linter in the same rounds (before/after figures under the same load).
`--real` times real projects' histories instead: the migrations folder at HEAD of each mirror made
with the agent `fetch` tool (the projects of lint_eval.py when none are named), each tool once per
project per round, as `orchestrator lint supabase/migrations` and `squawk supabase/migrations/*.sql`
would run in that project; the report gives per-project medians and the ratio of the sums.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_corpus import write_corpus

REPO = Path(__file__).resolve().parent.parent


CPU: dict[str, list[float]] = {}


def timed(argv: list[str], cwd: Path = REPO, env: dict[str, str] | None = None, key: str = "") -> float:
    """Wall seconds; the CPU seconds of the process and its children go to CPU[key] (steadier than wall
    time on a shared machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(key, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def checkout(rev: str, into: Path) -> Path:
    """The tree of `rev` (files only, no git state) in `into`."""
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def real_histories(specs: list[str], into: Path) -> list[tuple[str, Path, list[Path]]]:
    """(name, project root, migration files) of each fetched project; missing mirrors are skipped."""
    import lint_eval

    out = []
    for spec in specs or [f"{n}:{d}" for n, d in lint_eval.PROJECTS]:
        project = lint_eval.resolve_project(spec)
        try:
            lint_eval.extract(project, into)
        except (FileNotFoundError, subprocess.CalledProcessError) as exc:
            print(f"skipped {spec}: {exc}")
            continue
        if project.files:
            out.append((project.name, project.root, project.files))
    return out


def bench_real(args: argparse.Namespace, squawk: str, base_dir: Path | None) -> None:
    into = Path(tempfile.mkdtemp(prefix="lint-real-"))
    projects = real_histories(args.real, into)
    print(f"{len(projects)} projects, {sum(len(f) for _, _, f in projects)} files, "
          f"{sum(count_statements(f) for _, _, f in projects)} statements")
    ours_argv = [sys.executable, "-m", "orchestrator.lint", "--fail-on", "never", "supabase/migrations"]
    base_env = {**os.environ, "PYTHONPATH": str(base_dir)} if base_dir else None
    totals = {"ours": 0.0, "squawk": 0.0, "base": 0.0}
    print(f"{'project':45} {'files':>5} {'ours':>6} {'squawk':>6}" + ("  baseline" if base_dir else ""))
    for name, root, files in projects:
        rel = [str(f.relative_to(root)) for f in files]
        runs: dict[str, list[float]] = {"ours": [], "squawk": [], "base": []}
        for _ in range(args.rounds):
            runs["ours"].append(timed(ours_argv, root, {**os.environ, "PYTHONPATH": str(REPO)}, "ours"))
            runs["squawk"].append(timed([squawk, *rel], root, key="squawk"))
            if base_dir:
                runs["base"].append(timed(ours_argv, root, base_env, "baseline"))
        med = {k: statistics.median(v) for k, v in runs.items() if v}
        for k, v in med.items():
            totals[k] += v
        print(f"{name:45} {len(files):5} {med['ours']:6.2f} {med['squawk']:6.2f}"
              + (f"  {med['base']:6.2f}" if base_dir else ""))
    print(f"{'sum':45} {'':5} {totals['ours']:6.2f} {totals['squawk']:6.2f}"
          + (f"  {totals['base']:6.2f}" if base_dir else ""))
    print(f"ratio ours/squawk: {totals['ours'] / totals['squawk']:.2f}"
          + (f"  (baseline {totals['base'] / totals['squawk']:.2f})" if base_dir else "")
          + f"; CPU {sum(CPU['ours']) / sum(CPU['squawk']):.2f}; load average {os.getloadavg()[0]:.1f}")
    # the same SQL in one run of each tool: throughput on real migrations, start-up paid once
    every = [f for _, _, files in projects for f in files]
    folders = [str(root / "supabase" / "migrations") for _, root, _ in projects]
    together = {"ours": [], "squawk": []}
    for _ in range(args.rounds):
        together["ours"].append(timed([*ours_argv[:-1], *folders], into, {**os.environ, "PYTHONPATH": str(REPO)},
                                      "ours-all"))
        together["squawk"].append(timed([squawk, *map(str, every)], into, key="squawk-all"))
    o, t = statistics.median(together["ours"]), statistics.median(together["squawk"])
    print(f"all {len(every)} files in one run: ours {o:.2f}s, squawk {t:.2f}s, ratio {o / t:.2f}; "
          f"CPU {statistics.median(CPU['ours-all']) / statistics.median(CPU['squawk-all']):.2f}")
    shutil.rmtree(into, ignore_errors=True)


def count_statements(files: list[Path]) -> int:
    from pglast.parser import split

    return sum(len(split(f.read_text(encoding="utf-8"))) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision of our linter")
    ap.add_argument("--real", nargs="*", metavar="PROJECT", help="time fetched projects' histories instead")
    ap.add_argument("--squawk", help="the squawk binary (default: PATH, then this Python's venv)")
    args = ap.parse_args()
    # the venv's squawk (PyPI squawk-cli, the test extra) is not on PATH unless the venv is activated
    squawk = args.squawk or shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    if squawk is None:
        sys.exit("squawk not found: pip install squawk-cli (benchmark only)")
    print(subprocess.run([squawk, "--version"], capture_output=True, text=True, check=False).stdout.strip(), squawk)
    if args.real is not None:
        base_dir = checkout(args.baseline, Path(tempfile.mkdtemp(prefix="lint-baseline-"))) if args.baseline else None
        bench_real(args, squawk, base_dir)
        if base_dir:
            shutil.rmtree(base_dir, ignore_errors=True)
        return
    out = args.keep or Path(tempfile.mkdtemp(prefix="lint-corpus-"))
    files = write_corpus(out, args.files)
    print(f"corpus: {len(files)} files, {count_statements(files)} statements in {out}")
    ours_argv = [sys.executable, "-m", "orchestrator.lint", "--fail-on", "never", str(out)]
    theirs_argv = [squawk, *map(str, files)]
    base_dir = checkout(args.baseline, Path(tempfile.mkdtemp(prefix="lint-baseline-"))) if args.baseline else None
    base_env = {**os.environ, "PYTHONPATH": str(base_dir)} if base_dir else None
    ours: list[float] = []
    theirs: list[float] = []
    base: list[float] = []
    for _ in range(args.rounds):
        ours.append(timed(ours_argv, key="ours"))
        theirs.append(timed(theirs_argv, key="squawk"))
        if base_dir:
            base.append(timed(ours_argv, base_dir, base_env, key="baseline"))
    o, t = statistics.median(ours), statistics.median(theirs)
    oc, tc = statistics.median(CPU["ours"]), statistics.median(CPU["squawk"])
    print(f"orchestrator lint: median {o:.2f}s  min {min(ours):.2f}s  CPU {oc:.2f}s  runs {[round(x, 2) for x in ours]}")
    print(f"squawk           : median {t:.2f}s  min {min(theirs):.2f}s  CPU {tc:.2f}s  runs {[round(x, 2) for x in theirs]}")
    print(f"ratio ours/squawk: min {min(ours) / min(theirs):.2f}, CPU {oc / tc:.2f}; load average {os.getloadavg()[0]:.1f}")
    if base_dir:
        b = statistics.median(base)
        print(f"baseline {args.baseline:8}: median {b:.2f}s  runs {[round(x, 2) for x in base]}  (ratio {b / t:.2f})")
        shutil.rmtree(base_dir, ignore_errors=True)
    print(f"ratio ours/squawk: {o / t:.2f}")
    if args.keep is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
