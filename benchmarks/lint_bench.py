"""Wall time of our linter vs squawk on the same generated corpus, in the same run.

    python benchmarks/lint_bench.py [--files 2000] [--rounds 5] [--keep DIR]

Both tools run as a user would run them (a fresh process over every file), alternating, several
rounds; the report gives each tool's median and the ratio ours/squawk (goal: <= 1.0).
Our side runs `python -m orchestrator.lint` (the command module's entry).
"""

from __future__ import annotations

import argparse
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


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def count_statements(files: list[Path]) -> int:
    from pglast.parser import split

    return sum(len(split(f.read_text(encoding="utf-8"))) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = ap.parse_args()
    squawk = shutil.which("squawk")
    if squawk is None:
        sys.exit("squawk not found: pip install squawk-cli (benchmark only)")
    out = args.keep or Path(tempfile.mkdtemp(prefix="lint-corpus-"))
    files = write_corpus(out, args.files)
    print(f"corpus: {len(files)} files, {count_statements(files)} statements in {out}")
    ours_argv = [sys.executable, "-m", "orchestrator.lint", "--fail-on", "never", str(out)]
    theirs_argv = [squawk, *map(str, files)]
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(timed(ours_argv))
        theirs.append(timed(theirs_argv))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"orchestrator lint: median {o:.2f}s  runs {[round(x, 2) for x in ours]}")
    print(f"squawk           : median {t:.2f}s  runs {[round(x, 2) for x in theirs]}")
    print(f"ratio ours/squawk: {o / t:.2f}")
    if args.keep is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
