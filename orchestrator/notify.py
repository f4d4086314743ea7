"""Notifications: `notify: {webhook: ${URL}}` posts one JSON event per moment a team wants to know
about (an approval is needed, a step failed, a function was rolled back, the run ended). The body
has a Slack-compatible `text`. A webhook that fails never fails the release: it is a warning and a
journal line. The URL is a secret (it usually embeds a token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TIMEOUT_S = 5.0


class Notifier:
    def __init__(self, url: str | None, *, run_id: str, playbook: str, warn: Callable[[str], None],
                 journal: Callable[..., None], redact: Callable[[str], str]) -> None:
        self.url, self.run_id, self.playbook = url, run_id, playbook
        self._warn, self._journal, self._redact = warn, journal, redact

    def __call__(self, event: str, text: str, **fields: Any) -> None:
        if not self.url:
            return
        import httpx

        body = {"event": event, "run_id": self.run_id, "playbook": self.playbook, "text": self._redact(text),
                **{k: self._redact(v) if isinstance(v, str) else v for k, v in fields.items()}}
        try:
            response = httpx.post(self.url, json=body, timeout=TIMEOUT_S)
            ok, why = response.status_code < 400, f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, why = False, type(exc).__name__
        self._journal("notified", kind=event, ok=ok, **({} if ok else {"error": why}))
        if not ok:
            self._warn(f"notification '{event}' not delivered ({why}); the release goes on")
