"""Durations as playbooks write them: `500ms`, `5s`, `2m`, `1h` (or a bare number of seconds)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer than any pause a release should wait
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
PATTERN = r"^\d+(\.\d+)?(ms|s|m|h)$"


def parse_duration(value: Any) -> float:
    """Seconds from a duration string; ValueError with the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 5s, 2m or 1h")  # noqa: TRY004 - pydantic wants ValueError
    if isinstance(value, (int, float)):
        seconds = float(value) if not abs(value) >= 1e300 else math.inf  # NaN stays NaN
    else:
        text = str(value)
        match = _RE.match(text[:40])
        if not match or len(text) > 40:
            raise ValueError(f"bad duration {text[:40]!r}: use 500ms, 5s, 2m or 1h")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if math.isnan(seconds) or seconds < 0:
        raise ValueError("a duration is a positive number such as 500ms, 5s, 2m or 1h")
    if seconds > MAX_SECONDS:
        raise ValueError("longer than a week; give at most 168h")
    return seconds


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
