"""Field types and naming rules several kinds share: workspace names, Unity Catalog names, tags.

Format checks skip strings that still hold `${resources...}`: they are checked once resolved.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    TypeAdapter,
    model_validator,
)

from provisioner.specs.base import ResourceSpec, Spec, skip_if_reference


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A check that a whole string matches `pattern`, explaining `rule` when it does not."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if skip_if_reference(value) or regex.fullmatch(value):
            return value
        raise ValueError(f"must be {rule}")

    return AfterValidator(check)


EndpointName = Annotated[
    str, _matching(r"[A-Za-z0-9_-]{1,63}", "1 to 63 letters, digits, '-' or '_'")
]
"""Serving and vector search endpoint names."""

ServedEntityName = Annotated[
    str, _matching(r"[A-Za-z0-9_-]+", "letters, digits, '-' or '_' (no '.' or ':')")
]
"""Served entity names, unique within an endpoint."""


def _uc_name(part: str, rule: str, *, lower: bool) -> AfterValidator:
    """A check for `catalog.schema.name`; `lower` adds Unity Catalog's lower-case rule."""
    regex = re.compile(rf"{part}\.{part}\.{part}")

    def check(value: str) -> str:
        if skip_if_reference(value):
            return value
        if not regex.fullmatch(value.lower()):
            raise ValueError(f"must be a three-part Unity Catalog name catalog.schema.name "
                             f"({rule})")
        if lower and value != value.lower():
            raise ValueError(
                f"must be lower case (Unity Catalog stores names in lower case): '{value.lower()}'"
            )
        return value

    return AfterValidator(check)


UcIdentifierName = Annotated[
    str, _uc_name(r"[a-z0-9_]+", "each part letters, digits or '_'", lower=True)
]
"""An object we create whose parts must be plain identifiers (vector search indexes)."""

UcName = Annotated[
    str, _uc_name(r"[^.\s/\x00-\x1f]+", "no '.', '/' or spaces inside a part", lower=True)
]
"""A lower-case Unity Catalog name: registered models, served foundation models."""

UcTableName = Annotated[
    str, _uc_name(r"[^.\s/\x00-\x1f]+", "no '.', '/' or spaces inside a part", lower=False)
]
"""An existing Unity Catalog table or model, written in any case."""


class UcNamedSpec(ResourceSpec):
    """A kind named by a Unity Catalog three-part name, which a resource key cannot be."""

    NAME_DEFAULTS_TO_KEY = False
    NAME_FORM: ClassVar[str] = "catalog.schema.name"

    @model_validator(mode="before")
    @classmethod
    def _name_written(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is None:
            raise ValueError(f"name is required: the three-part Unity Catalog name "
                             f"{cls.NAME_FORM} (the resource key is not used as the name)")
        return data


class Tag(Spec):
    """One tag as the API writes it."""

    key: str = Field(description="Tag key.")
    value: str = Field("", description="Tag value; empty when omitted.")


_TAG_LIST = TypeAdapter(list[Tag])


def _tags_as_map(value: Any) -> Any:
    """The API's `[{key, value}]` list -> `{key: value}`; a map passes through."""
    if not isinstance(value, list):
        return value
    tags: dict[str, str] = {}
    for tag in _TAG_LIST.validate_python(value):
        if tag.key in tags:
            raise ValueError(f"duplicate tag key '{tag.key}'")
        tags[tag.key] = tag.value
    return tags


def _tags_as_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


TagMap = Annotated[
    dict[str, str],
    BeforeValidator(_tags_as_map, json_schema_input_type=dict[str, str] | list[Tag]),
]
"""Tags written as a map or as the API's list of `{key, value}`; held as a map."""

ApiTags = Annotated[TagMap, PlainSerializer(_tags_as_list, when_used="json")]
"""Tags the API takes as a `[{key, value}]` list: `to_api()` gives that list."""


def tags_field(description: str) -> Any:
    """A tags field accepting either form (see `TagMap`)."""
    return Field(None, description=f"{description} A map, or the API's list of {{key, value}}.")

