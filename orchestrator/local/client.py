"""A small client for the simulator's `/_sim/` admin endpoints (tests, the demo, `local status`)."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from orchestrator.local.store import Version as DeployedVersion  # what /_sim/functions lists per version


class SimClient:
    def __init__(self, api_url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"},
                                  timeout=30, transport=transport)

    def __repr__(self) -> str:
        return f"SimClient({self._http.base_url})"

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str) -> Any:
        response = self._http.get(path)
        response.raise_for_status()
        return response.json()

    def function_versions(self, slug: str) -> list[DeployedVersion]:
        entry = self._get("/_sim/functions").get(slug)
        if entry is None:
            return []
        return [DeployedVersion(**{**v, "files": tuple(v["files"]), "static_patterns": tuple(v["static_patterns"])})
                for v in entry["versions"]]

    def function_slugs(self) -> list[str]:
        return sorted(self._get("/_sim/functions"))

    def function_files(self, slug: str, version: int) -> dict[str, bytes]:
        files = self._get(f"/_sim/functions/{slug}/versions/{version}/files")["files"]
        return {path: base64.b64decode(data) for path, data in files.items()}

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._get("/_sim/requests"))

    def clear_request_log(self) -> None:
        self._http.delete("/_sim/requests").raise_for_status()

    def inject_fault(self, method: str, path: str, *, count: int = 1, status: int | None = 500,
                     latency: float = 0.0, hang: bool = False) -> None:
        """The next `count` calls of `method` on `path` (a glob, e.g. `/v1/projects/*/functions`) fail."""
        fault = {"method": method, "path": path, "count": count, "status": status, "latency": latency,
                 "hang": hang}
        self._http.post("/_sim/faults", json=fault).raise_for_status()

    def faults_left(self) -> list[int]:
        """How many calls each injected fault still waits for (0: its calls have all arrived)."""
        return [int(f["count"]) for f in self._get("/_sim/faults")]

    def clear_faults(self) -> None:
        self._http.delete("/_sim/faults").raise_for_status()

    def log_rows(self) -> list[dict[str, Any]]:
        return list(self._get("/_sim/logs"))

    def secret_hashes(self) -> dict[str, str]:
        """Secret name -> sha256 of its value (values never leave the simulator)."""
        return dict(self._get("/_sim/secrets"))
