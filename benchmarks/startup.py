"""Start-up cost: `orchestrator --help` and `orchestrator validate` on a small playbook, against
`python -c pass`, median of several runs in the same process tree. Goals: --help <= 150 ms,
validate <= 250 ms (absolute wall time). Run: python benchmarks/startup.py [runs]"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAYBOOK = """\
version: 1
name: bench
environments:
  staging: {project_ref: abcdefghijklmnopqrst, db_url: "postgresql://u@127.0.0.1/x"}
steps:
  - preflight: {clean_git: false}
  - migrations: {}
  - verify: [{name: a, sql: select 1, expect_rows: 1}]
  - pause: {message: ok}
"""


def median_ms(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=False, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "supabase" / "migrations").mkdir(parents=True)
        pb = Path(tmp) / "playbook.yaml"
        pb.write_text(PLAYBOOK)
        base = median_ms([sys.executable, "-c", "pass"], runs)
        help_ms = median_ms([sys.executable, "-m", "orchestrator", "--help"], runs)
        validate_ms = median_ms([sys.executable, "-m", "orchestrator", "validate", str(pb)], runs)
    print(f"python -c pass          {base:7.1f} ms")
    print(f"orchestrator --help     {help_ms:7.1f} ms  (goal <= 150; {help_ms - base:+.1f} over python)")
    print(f"orchestrator validate   {validate_ms:7.1f} ms  (goal <= 250; {validate_ms - base:+.1f} over python)")


if __name__ == "__main__":
    main()
