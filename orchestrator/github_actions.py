"""GitHub Actions workflow commands and the job summary.

Escaping per the runner's rules: https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
(data: %, CR, LF; properties also : and ,). The runner reads workflow commands on stdout and stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def active(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS", "") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, title: str | None = None, file: str | None = None,
               line: int | None = None, col: int | None = None, end_line: int | None = None) -> str:
    """`::error file=...,line=...::message` (level: error, warning or notice)."""
    props = [f"{k}={escape_property(str(v))}" for k, v in
             (("file", file), ("line", line), ("col", col), ("endLine", end_line), ("title", title))
             if v is not None]
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def append_summary(environ: Mapping[str, str], markdown: str) -> Path | None:
    """Append to $GITHUB_STEP_SUMMARY (the job's summary page); None when it is not set."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:  # the runner's file: append, leave its mode alone
        with path.open("a", encoding="utf-8") as file:
            file.write(markdown.rstrip("\n") + "\n\n")
    except OSError:
        return None
    return path
