"""Durations as playbooks write them: `500ms`, `5s`, `2m`, `1h` (or a bare number of seconds)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
PATTERN = r"^\d+(\.\d+)?(ms|s|m|h)$"


def parse_duration(value: Any) -> float:
    """Seconds from a duration string; ValueError with the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 5s, 2m or 1h")  # noqa: TRY004 - pydantic wants ValueError
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    match = _RE.match(str(value))
    if not match:
        raise ValueError(f"bad duration {value!r}: use 500ms, 5s, 2m or 1h")
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["500ms", "5s", "2m", "1h"]}),
]
