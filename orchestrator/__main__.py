"""Entry point for `python -m orchestrator` and the `orchestrator` console script."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO


def main() -> None:
    # pydantic scans every installed distribution's entry points for plugins at first use
    # (~14 ms of start-up through importlib.metadata); we use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from orchestrator.cli import app

    if not _wants_json(sys.argv[1:]):
        app()
        return
    # --output json promises one JSON document on stdout for every exit code. Our commands write
    # their own (or the error handler does); a usage error (a missing --env, a bad choice) is
    # reported by typer before any of our code runs: write that document here.
    out, err = _Watched(sys.stdout), _Watched(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not out.written:
            _usage_error(out.raw, code, err.text)
        raise


class _Watched:
    """A text stream that remembers whether (and, for stderr, what) was written through it."""

    def __init__(self, raw: TextIO) -> None:
        self.raw, self.written, self.text = raw, False, ""

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        self.text = (self.text + text)[-4000:]
        return self.raw.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def _usage_error(stdout: TextIO, code: int, stderr_text: str) -> None:
    from orchestrator.error_handler import ended

    lines = [line.strip(" │╭╮╰╯─") for line in stderr_text.splitlines()]
    message = next((line for line in reversed(lines) if line.strip()), "")
    stdout.write(json.dumps(ended(_command(sys.argv[1:]), code, message), indent=2) + "\n")
    stdout.flush()


def _wants_json(argv: Sequence[str]) -> bool:
    pairs = zip(argv, [*argv[1:], ""], strict=False)
    return any(a in {"--output=json", "-ojson"} or (a in {"--output", "-o"} and b == "json") for a, b in pairs)


def _command(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


if __name__ == "__main__":
    main()
