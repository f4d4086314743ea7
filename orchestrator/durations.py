"""Durations as playbooks write them: `500ms`, `5s`, `2m`, `1h`, always with a unit.

A bare number is refused: `timeout: 15` reads as seconds to one reviewer and minutes to another, and
the JSON Schema editors use could not tell it from a typo either.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer than any pause a release should wait
MAX_LENGTH = 40
PATTERN = r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$"  # [0-9], not \d: Python's \d also takes other scripts' digits
_RE = re.compile(PATTERN)
FORMS = "500ms, 5s, 2m or 1h"


def parse_duration(value: Any) -> float:
    """Seconds from a duration string; ValueError with the accepted forms otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a duration needs a unit: write {FORMS}, not a bare number")  # noqa: TRY004
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as {FORMS}")  # noqa: TRY004 - pydantic wants ValueError
    match = _RE.fullmatch(value) if len(value) <= MAX_LENGTH else None
    if not match:
        raise ValueError(f"bad duration {value[:MAX_LENGTH]!r}: use {FORMS}")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
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
    WithJsonSchema({"type": "string", "pattern": PATTERN, "maxLength": MAX_LENGTH,
                    "description": f"a number with a unit: {FORMS}; at most a week (168h)",
                    "examples": ["500ms", "5s", "2m", "1h"]}),
]
