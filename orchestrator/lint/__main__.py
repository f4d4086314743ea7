"""`python -m orchestrator.lint [PATH ...]`: the lint command without the Typer CLI (benchmarks, CI)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestrator.commands.lint import lint
from orchestrator.errors import InputError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m orchestrator.lint", description="Lint Supabase migrations.")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: supabase/migrations), "
                    "or - for SQL from stdin")
    ap.add_argument("--format", default="text", choices=("text", "json", "github", "sarif"))
    ap.add_argument("--since", help="only files added or changed since this git ref")
    ap.add_argument("--fail-on", default="error", choices=("error", "warning", "never"))
    ap.add_argument("--project-dir", type=Path, default=Path("."))
    ap.add_argument("--stdin-filename", help="file name for the SQL read from - (see `orchestrator lint --help`)")
    args = ap.parse_args(argv)
    try:
        return lint(args.paths, fmt=args.format, since=args.since, config=None,
                    project_dir=args.project_dir, fail_on=args.fail_on, stdin_filename=args.stdin_filename)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def exit_now(code: int) -> None:
    """Exit without tearing down the interpreter: freeing every object of a large run one by one
    took ~50 ms and nobody waits for it (mypy exits the same way)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
