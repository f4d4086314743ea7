"""`orchestrator schema`: the JSON Schema of the playbook format, for editors."""

from __future__ import annotations

import json

from orchestrator.commands.common import Session
from orchestrator.playbook.schema import playbook_schema


def schema(s: Session) -> int:
    s.ui.plain(json.dumps(playbook_schema(), indent=2))
    return 0
