"""JSON with comments (deno.jsonc): drop // and /* */ comments and trailing commas, keep strings."""

from __future__ import annotations

import re

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])|.', re.DOTALL)


def strip_jsonc(text: str) -> str:
    out = []
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token.startswith('"') or not (token.startswith(("//", "/*")) or token == ",") or token == "," and not re.match(r",\s*[}\]]", text[match.start():]):
            out.append(token)
    return "".join(out)
