"""Notifications (issue 11): a webhook gets a JSON event when an approval is needed, a step fails
and the run ends; a webhook that is down never fails the release."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.local.postgres import free_port

PLAYBOOK = """\
version: 1
name: notified
project_dir: .
notify: {{webhook: "{url}"}}
environments:
  staging:
    project_ref: abcdefghijklmnopqrst
    requires_approval: true
steps:
  - pause: {{message: "look at it"}}
"""


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook/secret-token-42", received
    finally:
        server.shutdown()
        server.server_close()


def _run(root: Path, *args: str) -> tuple[int, str]:
    here = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, ["run", "orchestrator.yaml", "--env", "staging", *args])
    finally:
        os.chdir(here)
    return result.exit_code, result.output


def test_events_reach_the_webhook(tmp_path: Path, hook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = hook
    (tmp_path / "supabase").mkdir()
    (tmp_path / "orchestrator.yaml").write_text(PLAYBOOK.format(url=url))
    code, out = _run(tmp_path, "--approve")  # approved; the pause has no terminal and no --yes: stops
    assert code == 4, out
    assert [e["event"] for e in received] == ["step_failed", "run_end"]
    assert received[-1]["outcome"] == "stopped" and "notified" in received[-1]["text"]
    assert "secret-token-42" not in out
    code, out = _run(tmp_path, "--yes")  # no --approve and no terminal: refused before any environment
    assert code == 4 and received[-1]["event"] == "run_end"


def test_a_webhook_that_is_down_never_fails_the_release(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    (tmp_path / "orchestrator.yaml").write_text(PLAYBOOK.format(url=f"http://127.0.0.1:{free_port()}/x"))
    code, out = _run(tmp_path, "--approve", "--yes")
    assert code == 0, out
    assert "notification 'run_end' not delivered (ConnectError); the release goes on" in " ".join(out.split())
