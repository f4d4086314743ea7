"""Secret redaction shared by every output path (console, journal, CLI adapter).

Known secret values (the access token, database password, secret values) are replaced
wherever they appear; patterns catch what we were not told about: Supabase access
tokens (`sbp_...`) and passwords inside connection URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MASK = "***"
SECRET_ENV_VARS = ("SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_PASSWORD", "PGPASSWORD")
_PATTERNS = (
    re.compile(r"sbp_[A-Za-z0-9_]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # scheme://user:PASSWORD@host  ->  scheme://user:***@host
    re.compile(r"(?P<pre>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)(?=@)"),
)
_MIN_SECRET_LEN = 4


@dataclass
class Redactor:
    """Replaces secrets in text. Add values as soon as they are known."""

    secrets: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], extra: Iterable[str] = ()) -> Redactor:
        r = cls()
        r.add(*(env.get(k, "") for k in SECRET_ENV_VARS))
        r.add(*extra)
        return r

    def add(self, *values: str) -> None:
        self.secrets.update(v for v in values if v and len(v) >= _MIN_SECRET_LEN)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _PATTERNS[0].sub(MASK, text)
        text = _PATTERNS[1].sub(lambda m: m.group(1) + MASK, text)
        return _PATTERNS[2].sub(lambda m: m.group("pre") + MASK, text)

    def argv(self, argv: Iterable[str]) -> list[str]:
        return [self(a) for a in argv]
