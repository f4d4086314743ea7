"""Measure orchestrator.function_inputs against the real supabase CLI on real project folders.

For every function folder under PROJECT/supabase/functions (names starting with `_` or `.` are
skipped), deploy it with the real CLI (`functions deploy NAME --use-api`) to one LocalTarget and
compare what the CLI uploaded with `resolve(NAME, disk_source(PROJECT)).files`.

    .venv/bin/python benchmarks/inputs_vs_cli.py PROJECT [PROJECT ...] [--json OUT] [--only NAME ...]

CLI 3 is tried first; when it refuses a project (typically its config.toml: `[inbucket]` and other
keys CLI 3 dropped), the project is retried with CLI 2 and the report says so. The simulator stores
upload paths with everything up to `supabase/functions/` stripped; they are put back to
project-relative form here (a stored path not under `supabase/` came from `supabase/functions/`,
unless only the project-relative reading names a file that exists).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestrator.function_inputs import FUNCTIONS, disk_source, resolve
from orchestrator.local.target import LocalTarget
from orchestrator.tools import local_supabase

TIMEOUT = 300
_WARN = re.compile(r"\bWARN(?:ING)?\b|\bwarning\b", re.IGNORECASE)


@dataclass
class Outcome:
    name: str
    cli: str = ""
    ok: bool = False  # the CLI deployed it (a new version appeared)
    ours: list[str] = field(default_factory=list)
    theirs: list[str] = field(default_factory=list)
    only_ours: list[str] = field(default_factory=list)
    only_cli: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what our resolver says is imported but absent
    warns: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def match(self) -> bool:
        return self.ok and not self.only_ours and not self.only_cli


@dataclass
class ProjectReport:
    root: str
    cli_note: str = ""
    outcomes: list[Outcome] = field(default_factory=list)


def functions_of(root: Path) -> list[str]:
    base = root / FUNCTIONS
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def normalise(stored: str, root: Path) -> str:
    """A simulator path back to project-relative form."""
    absolute = root.resolve().as_posix().lstrip("/") + "/"
    if stored.startswith(absolute):  # an absolute upload name outside supabase/functions
        return stored[len(absolute):]
    if stored.startswith("supabase/"):
        return stored
    under = f"{FUNCTIONS}/{stored}"
    if not (root / under).is_file() and (root / stored).is_file():
        return stored  # a file outside supabase/ (e.g. a root-level shared folder)
    return under


class Deployer:
    def __init__(self, target: LocalTarget, home: Path) -> None:
        self.target = target
        self.home = home
        self.clis = {major: local_supabase(major) for major in (3, 2)}

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
        return {**clean, **self.target.cli_env(), "SUPABASE_HOME": str(self.home), "NO_COLOR": "1"}

    def deploy(self, major: int, root: Path, name: str) -> tuple[bool, str, list[str]]:
        """(a new version appeared, the CLI's output, the stored files)."""
        cli = self.clis[major]
        if cli is None:
            return False, f"supabase {major}.x not installed", []
        ref = self.target.project_ref
        flag = f"--remote={ref}" if major >= 3 else f"--project-ref={ref}"
        before = len(self.target.client.function_versions(name))
        try:
            proc = subprocess.run([str(cli), "--workdir", str(root), "--yes", "functions", "deploy", name, "--use-api",
                                   flag], env=self.env(), cwd=root, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=TIMEOUT, check=False)
            output = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            return False, f"timeout: {exc}", []
        versions = self.target.client.function_versions(name)
        if len(versions) <= before or proc.returncode != 0:
            return False, output, []
        return True, output, list(versions[-1].files)


def _refuses_config(output: str) -> bool:
    return bool(re.search(r"config|toml|invalid keys|decod", output, re.IGNORECASE))


def measure(deployer: Deployer, root: Path, only: list[str] | None = None, cli: int | None = None) -> ProjectReport:
    report = ProjectReport(str(root))
    source = disk_source(root)
    major = cli or 3
    for name in functions_of(root):
        if only and name not in only:
            continue
        out = Outcome(name)
        try:
            inputs = resolve(name, source)
            out.ours, out.missing = sorted(inputs.files), sorted(inputs.missing)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding
            out.error = f"resolve crashed: {exc!r}"
        ok, output, stored = deployer.deploy(major, root, name)
        if not ok and major == 3 and cli is None and _refuses_config(output):
            ok2, output2, stored2 = deployer.deploy(2, root, name)
            if ok2:
                major = 2
                why = [line.strip() for line in output.splitlines()
                       if re.search(r"error|invalid|failed|inbucket|config", line, re.IGNORECASE)]
                report.cli_note = f"CLI 3 refused the project ({' / '.join(why)[:300]}); used CLI 2"
                ok, output, stored = ok2, output2, stored2
        out.cli = f"{major}"
        out.ok = ok
        out.warns = sorted({line.strip() for line in output.splitlines() if _WARN.search(line)})
        if not ok:
            out.error = (out.error + " | " if out.error else "") + "deploy failed: " + " / ".join(
                line.strip() for line in output.splitlines()[-6:] if line.strip())[:600]
        else:
            out.theirs = sorted({normalise(p, root) for p in stored})
            out.only_ours = sorted(set(out.ours) - set(out.theirs))
            out.only_cli = sorted(set(out.theirs) - set(out.ours))
        report.outcomes.append(out)
        print(f"  {name}: {'match' if out.match else ('FAILED' if not ok else 'MISMATCH')}", file=sys.stderr,
              flush=True)
    return report


def print_report(report: ProjectReport) -> None:
    tried = [o for o in report.outcomes if o.ok]
    failed = [o for o in report.outcomes if not o.ok]
    matches = [o for o in tried if o.match]
    print(f"\n== {report.root}")
    if report.cli_note:
        print(f"   {report.cli_note}")
    majors = sorted({o.cli for o in report.outcomes})
    print(f"   CLI used: {', '.join(f'supabase {m}.x' for m in majors)}")
    print(f"   functions: {len(report.outcomes)}  deployed: {len(tried)}  exact matches: {len(matches)}"
          f"  mismatches: {len(tried) - len(matches)}  deploy failures: {len(failed)}")
    for o in tried:
        if o.match:
            continue
        print(f"   - {o.name} (CLI {o.cli})")
        for path in o.only_ours:
            print(f"       only ours: {path}")
        for path in o.only_cli:
            print(f"       only CLI : {path}")
    for o in failed:
        print(f"   ! {o.name}: {o.error}")
    warns = sorted({w for o in report.outcomes for w in o.warns})
    if warns:
        print("   CLI warnings:")
        for o in report.outcomes:
            for w in o.warns:
                print(f"       [{o.name}] {w[:300]}")
    missing = [(o.name, m) for o in report.outcomes for m in o.missing]
    if missing:
        print("   our resolver's missing imports:")
        for name, m in missing:
            print(f"       [{name}] {m}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="+", type=Path, help="folders holding supabase/")
    parser.add_argument("--json", type=Path, help="write the raw outcomes here")
    parser.add_argument("--only", nargs="*", help="only these function names")
    parser.add_argument("--cli", type=int, choices=(2, 3), help="use only this CLI major (no CLI 2 fallback)")
    args = parser.parse_args(argv)
    reports: list[ProjectReport] = []
    with tempfile.TemporaryDirectory(prefix="inputs-vs-cli-") as tmp:
        target = LocalTarget(rate_limit=100_000).start()
        try:
            deployer = Deployer(target, Path(tmp) / ".h")
            for root in args.projects:
                print(f"{root}:", file=sys.stderr, flush=True)
                started = time.monotonic()
                report = measure(deployer, root.resolve(), args.only, args.cli)
                print(f"  ({time.monotonic() - started:.0f}s)", file=sys.stderr, flush=True)
                reports.append(report)
                print_report(report)
        finally:
            target.stop()
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "outcomes": [{**asdict(o), "match": o.match} for o in r.outcomes]}
                                         for r in reports], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
