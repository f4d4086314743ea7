"""`orchestrator schema [--report]`: the JSON Schema of playbooks (for editors) or of the run report."""

from __future__ import annotations

import json

from orchestrator.commands.common import Session
from orchestrator.playbook.schema import playbook_schema


def schema(s: Session, report: bool = False) -> int:
    if report:
        from orchestrator.report import REPORT_SCHEMA

        s.ui.plain(json.dumps(REPORT_SCHEMA, indent=2))
        return 0
    s.ui.plain(json.dumps(playbook_schema(), indent=2))
    return 0
