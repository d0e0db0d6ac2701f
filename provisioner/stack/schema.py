"""JSON Schema of `stack.yaml`, generated from the pydantic models, for editors and CI."""

from __future__ import annotations

from typing import Any

from provisioner.stack.model import StackFile

SCHEMA_ID = "https://provisioner.dev/schemas/stack.schema.json"
_TEMPLATE = {"type": "string", "pattern": r"\{\{.*\}\}",
             "description": "A Jinja template rendering to this field's type."}
_NON_STRING = {"integer", "number", "boolean"}


def stack_schema() -> dict[str, Any]:
    schema = StackFile.model_json_schema(mode="validation")
    _allow_templates(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema, "title": "provisioner stack"}


def _allow_templates(node: Any) -> None:
    """Numbers and booleans may be written as templates (`"{{ var.n }}"`) and coerced later."""
    if isinstance(node, dict):
        for value in node.values():
            _allow_templates(value)
        if isinstance(node.get("type"), str) and node["type"] in _NON_STRING:
            scalar = {k: node.pop(k) for k in list(node)
                      if k in ("type", "minimum", "maximum", "exclusiveMinimum",
                               "exclusiveMaximum", "multipleOf")}
            node["anyOf"] = [scalar, _TEMPLATE]
    elif isinstance(node, list):
        for value in node:
            _allow_templates(value)
