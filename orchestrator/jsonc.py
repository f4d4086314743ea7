"""JSON with comments (deno.jsonc) -> JSON: drop // and /* */ comments, then trailing commas.
Strings are kept whole in both passes, so `"a//b"` and `"x,}"` survive."""

from __future__ import annotations

import re

_STRING = r'"(?:[^"\\]|\\.)*"'
_COMMENT = re.compile(rf"({_STRING})|//[^\n]*|/\*.*?\*/", re.DOTALL)
_TRAILING_COMMA = re.compile(rf"({_STRING})|,(?=\s*[}}\]])")


def _keep_strings(match: re.Match[str]) -> str:
    return match.group(1) or ""


def strip_jsonc(text: str) -> str:
    return _TRAILING_COMMA.sub(_keep_strings, _COMMENT.sub(_keep_strings, text))
