"""Smoke calls to deployed functions: the one module that calls function URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProbeResult:
    status: int | None
    body: str
    error: str = ""


def call(url: str, *, method: str, json: Any, headers: dict[str, str], timeout: float) -> ProbeResult:
    import httpx

    try:
        response = httpx.request(method, url, json=json if method not in {"GET", "HEAD"} else None,
                                 headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return ProbeResult(None, "", f"{type(exc).__name__}: {exc}")
    return ProbeResult(response.status_code, response.text[:2000])
