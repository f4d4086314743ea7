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
    # access tokens, secret API keys, JWTs (service_role keys, users' sessions; also a JWT cut short)
    re.compile(r"sbp_[A-Za-z0-9_]{8,}|sb_secret_[A-Za-z0-9_-]{8,}|(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}"
               r"(?:\.[A-Za-z0-9_-]*)?"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # scheme://user:PASSWORD@host  ->  scheme://user:***@host. Every part is bounded and the scheme
    # starts where a scheme can start: unbounded parts made this quadratic (160k letters: 68 s).
    re.compile(r"(?P<pre>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^:/@\s]{0,256}:)(?P<pw>[^@\s/]{1,4096})(?=@)"),
)
_MIN_SECRET_LEN = 4


_KNOWN: set[str] = set()  # every secret any Redactor of this process was given (for the crash path)


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
        new = {v for v in values if v and len(v) >= _MIN_SECRET_LEN}
        self.secrets.update(new)
        _KNOWN.update(new)

    def __call__(self, text: str) -> str:
        return scrub(text, self.secrets)

    def argv(self, argv: Iterable[str]) -> list[str]:
        return [self(a) for a in argv]


def redact_known(text: str) -> str:
    """Every secret this process has seen, and the patterns: for output with no run's redactor at hand
    (the crash path, messages printed before a run starts)."""
    return scrub(text, _KNOWN)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Linear in len(text) per secret and per pattern (no unbounded backtracking)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    # each pattern runs only where the text it must start with is present: a scan costs ~30 ms per
    # megabyte (a lint report of a large history), a substring test a hundredth of it
    if "sbp_" in text or "sb_secret_" in text or "eyJ" in text:
        text = _PATTERNS[0].sub(MASK, text)
    if "bearer" in text.lower():
        text = _PATTERNS[1].sub(lambda m: m.group(1) + MASK, text)
    if "://" in text:
        text = _PATTERNS[2].sub(lambda m: m.group("pre") + MASK, text)
    return text
