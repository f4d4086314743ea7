"""The JSON Schema of the playbook format, built from the models and the step registry.

It accepts what the loader accepts, as far as a schema can say it (tests/playbook/test_schema.py
feeds both the same documents). What only the loader checks: the variables a run needs are set and
their values are valid once substituted; project_dir holds supabase/; the functions named exist
and have an entrypoint; the migrations folder exists; a backup dir lies outside supabase/;
requires_passed names another environment of the playbook; a duration is at most a week; no key
appears twice in the YAML; the YAML limits (size, nesting, tags, aliases).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from orchestrator.playbook.models import PlaybookModel
from orchestrator.playbook.source import VARIABLE_PATTERN

SCHEMA_ID = ("https://raw.githubusercontent.com/supabase-orchestrator/supabase-orchestrator/main/docs/"
             "playbook.schema.json")
VARIABLE_REF = {"$ref": "#/$defs/Variable"}
VARIABLE = {"type": "string", "pattern": VARIABLE_PATTERN,
            "description": "${NAME} or ${NAME:-default}, read from the process environment or --env-file "
                           "(checked once substituted)"}
_META = ("title", "description", "default", "examples")


def playbook_schema() -> dict[str, Any]:
    root = PlaybookModel.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = root.pop("$defs", {})
    root["properties"]["steps"]["items"] = {"oneOf": _step_variants(defs)}
    for meta in ("title", "description"):
        root.pop(meta)
    defs = {name: _with_variables(sub) for name, sub in defs.items()}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "supabase-orchestrator playbook",
            "description": "A release for Supabase projects: environments and the steps to run in each "
                           "(orchestrator validate|plan|run PLAYBOOK).",
            **_with_variables(root), "$defs": {**defs, "Variable": VARIABLE}}


def _step_variants(defs: dict[str, Any]) -> list[dict[str, Any]]:
    from orchestrator.steps import REGISTRY

    variants = []
    for kind, step in sorted(REGISTRY.items()):
        adapter: TypeAdapter[Any] = TypeAdapter(step.config_model)
        sub = adapter.json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        about = {"description": sub["description"]} if "description" in sub else {}
        if _takes_nothing(adapter):  # the loader reads `- migrations:` (null) as `- migrations: {}`
            sub = {**about, "anyOf": [sub, {"type": "null"}]}
        variants.append({
            "type": "object", "title": kind, **about,
            "properties": {"name": {"type": "string", "description": "shown instead of the kind in output"},
                           kind: sub},
            "required": [kind],
            "additionalProperties": False,
        })
    return variants


def _takes_nothing(adapter: TypeAdapter[Any]) -> bool:
    try:
        adapter.validate_python({})
    except ValidationError:
        return False
    return True


def _with_variables(node: Any) -> Any:
    """The loader substitutes `${VAR}` in every string value (never in keys), then validates the
    result: wherever some string could pass, a string naming a variable is accepted as well."""
    if not isinstance(node, dict):
        return node
    if _takes_text(node):
        meta = {k: node[k] for k in _META if k in node}
        return {**meta, "anyOf": [{k: v for k, v in node.items() if k not in _META}, VARIABLE_REF]}
    out = {keyword: _subschemas(keyword, value) for keyword, value in node.items()}
    if any(_takes_text(member) for member in node.get("anyOf", [])):
        out["anyOf"] = [*node["anyOf"], VARIABLE_REF]
    return out


def _subschemas(keyword: str, value: Any) -> Any:
    if keyword in ("items", "additionalProperties", "not"):
        return _with_variables(value)
    if keyword in ("oneOf", "allOf"):
        return [_with_variables(member) for member in value]
    if keyword == "anyOf":  # a member that takes text gets one Variable beside it (see above)
        return [member if _takes_text(member) else _with_variables(member) for member in value]
    if keyword in ("properties", "patternProperties"):  # never propertyNames: keys are not substituted
        return {name: _with_variables(sub) for name, sub in value.items()}
    return value


def _takes_text(node: Any) -> bool:
    """A scalar schema that refuses some strings although the value after substitution may pass it."""
    if not isinstance(node, dict) or node.get("pattern") == VARIABLE_PATTERN:
        return False
    if "enum" in node or "const" in node:  # `version: 1` must be written; `${VAR}` may give "error"
        return all(isinstance(v, str) for v in node.get("enum", [node.get("const")]))
    kind = node.get("type")
    return kind in ("boolean", "integer") or (kind == "string" and ("pattern" in node or "maxLength" in node))
