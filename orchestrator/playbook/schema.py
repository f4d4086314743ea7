"""The JSON Schema of the playbook format, built from the models and the step registry."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from orchestrator.playbook.models import PlaybookModel

SCHEMA_ID = "https://github.com/supabase-orchestrator/schema/playbook-v1.json"


def playbook_schema() -> dict[str, Any]:
    from orchestrator.steps import REGISTRY

    root = PlaybookModel.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = root.pop("$defs", {})
    variants = []
    for kind, step in sorted(REGISTRY.items()):
        sub = TypeAdapter(step.config_model).json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        variants.append({
            "type": "object",
            "properties": {"name": {"type": "string"}, kind: sub},
            "required": [kind],
            "additionalProperties": False,
        })
    root["properties"]["steps"] = {"type": "array", "minItems": 1, "items": {"oneOf": variants}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "orchestrator playbook", **root, "$defs": defs}
