"""`registered_models`: a LangChain chain logged from code into Unity Catalog, with aliases.

No API has this shape: the fields are ours. A new version is logged when the content (code,
config, requirements, signature) changes; aliases point at the version the stack produced.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from provisioner.specs.base import Lifecycle, Spec, StackPath, skip_if_reference
from provisioner.specs.fields import TagMap, UcName, UcNamedSpec

TypeName = Literal["boolean", "integer", "long", "float", "double", "string", "binary",
                   "datetime", "any", "array", "object", "map"]
"""MLflow's `DataType` names, `any`, and its nested types."""

NESTED_TYPES = {"array": "items", "object": "properties", "map": "values"}
"""A nested type and the field describing what it holds."""


class ValueType(Spec):
    """An MLflow value type: a `DataType`, `any`, or `array`/`object`/`map` of more types."""

    type: TypeName = Field(
        description="boolean, integer, long, float, double, string, binary, datetime, any, "
                    "or array (with items), object (with properties), map (with values)."
    )
    items: ValueType | None = Field(None, description="For an array: its elements' type.")
    properties: dict[str, PropertyType] | None = Field(
        None, description="For an object: its properties by name."
    )
    values: ValueType | None = Field(None, description="For a map: its values' type.")

    @model_validator(mode="after")
    def _nesting(self) -> ValueType:
        wanted = NESTED_TYPES.get(self.type)
        for type_name, field in NESTED_TYPES.items():
            given = getattr(self, field) is not None
            if field == wanted and not given:
                raise ValueError(f"type {type_name} needs {field}")
            if field != wanted and given:
                raise ValueError(f"{field} is only for type {type_name}")
        return self


class PropertyType(ValueType):
    """A property of an object type."""

    required: bool = Field(True, description="Whether the property must be present.")


ValueType.model_rebuild()  # `properties` refers to PropertyType, defined just above


class ColumnSpec(ValueType):
    """One input or output column, as MLflow's `ColSpec`."""

    name: str | None = Field(None, description="Column name; all named or all unnamed.")
    required: bool = Field(True, description="Whether the column must be present.")


def _columns(what: str) -> Any:
    return Field(min_length=1, description=f"The model's {what}: a list of "
                                           "{name?, type, required?} columns.")


class Signature(Spec):
    """The model's signature, which Unity Catalog requires (inputs and outputs)."""

    inputs: list[ColumnSpec] = _columns("inputs")
    outputs: list[ColumnSpec] = _columns("outputs")

    @model_validator(mode="after")
    def _named_consistently(self) -> Signature:
        for side in ("inputs", "outputs"):
            names = [c.name for c in getattr(self, side)]
            if None in names and any(names):
                raise ValueError(f"{side}: name every column or none")
            if len(set(names)) != len(names) and None not in names:
                raise ValueError(f"{side}: column names must be unique")
        return self

    def to_mlflow(self) -> dict[str, str]:
        """`ModelSignature.from_dict` input: each side as a JSON list of column specs."""
        return {side: json.dumps([c.model_dump(exclude_none=True) for c in getattr(self, side)])
                for side in ("inputs", "outputs")}


_ALIAS = re.compile(r"[\w\-]*")
_VERSION_LIKE = re.compile(r"v\d+", re.IGNORECASE)


def _alias(value: str) -> str:
    if skip_if_reference(value):
        return value
    if not value or len(value) > 255 or not _ALIAS.fullmatch(value):
        raise ValueError(f"alias '{value}' must be 1 to 255 letters, digits, '_' or '-'")
    if value.lower() == "latest" or _VERSION_LIKE.fullmatch(value):
        raise ValueError(f"alias '{value}' is reserved (latest and v<number> name versions)")
    return value


Alias = Annotated[str, AfterValidator(_alias)]


def _relative_path(value: str) -> str:
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(f"'{value}' must be a path relative to the stack folder")
    return value


RelativePath = Annotated[str, AfterValidator(_relative_path), StackPath()]


def _python_file(value: str) -> str:
    if not value.endswith(".py"):
        raise ValueError(f"'{value}' must be a Python file (.py) ending in "
                         "mlflow.models.set_model(...)")
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Privilege = Literal["ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE"]
"""What Unity Catalog grants on a model (sql-ref-privileges; Asset Bundles' registered model
grants)."""


class Grant(Spec):
    """Unity Catalog privileges of one principal on the model, as in Asset Bundles."""

    principal: str = Field(min_length=1, description="A user, group or service principal.")
    privileges: list[Privilege] = Field(
        min_length=1, description="ALL_PRIVILEGES, APPLY_TAG, EXECUTE or MANAGE; e.g. EXECUTE "
                                  "for a serving endpoint's principal.")

    @model_validator(mode="after")
    def _unique(self) -> Grant:
        if len(set(self.privileges)) != len(self.privileges):
            raise ValueError("privileges must be unique")
        return self


class RegisteredModelLifecycle(Lifecycle):
    """Lifecycle of a registered model: may destroying it delete its versions?"""

    delete_versions: bool = Field(
        False, description="Let destroy delete the model's versions (and so the model); "
                           "without it, destroying a model that has versions is refused."
    )


class RegisteredModelSpec(UcNamedSpec):
    """A LangChain model (MLflow models-from-code) registered in Unity Catalog."""

    KIND = "registered_models"
    NAME_FORM = "catalog.schema.model"
    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The model's three-part name.",
        "version": "The version this stack produced (a string).",
        "uri": "`models:/<name>/<version>`.",
    }

    name: UcName = Field(description="Three-part name catalog.schema.model, lower case; "
                                     "required on every target.")
    flavor: Literal["langchain"] = Field(description="MLflow flavor: langchain.")
    code: Annotated[RelativePath, AfterValidator(_python_file)] = Field(
        description="The models-from-code Python file (ending in mlflow.models.set_model), "
                    "relative to the stack folder."
    )
    config: Annotated[list[RelativePath], BeforeValidator(
        _as_list, json_schema_input_type=str | list[str])] | None = Field(
        None, description="Model config file(s) (MLflow model_config), relative to the stack "
                          "folder: one path or a list."
    )
    requirements: list[str] | None = Field(
        None, description="pip requirement lines; inferred by MLflow when omitted."
    )
    signature: Signature | None = Field(
        None, description="Inputs and outputs; lets MLflow log without running the chain."
    )
    input_example: Any = Field(
        None, description="An example input (any JSON); MLflow runs the chain on it."
    )
    aliases: list[Alias] | None = Field(
        None, description="Aliases pointing at the version this stack produced, e.g. champion."
    )
    tags: TagMap | None = Field(None, description="Registered model tags, a map.")
    description: str | None = Field(None, description="The model's description.")
    owner: str | None = Field(
        None, description="The model's owner (a user, group or service principal); its "
                          "creator when unset."
    )
    grants: list[Grant] | None = Field(
        None, description="Unity Catalog privileges on the model, one entry per principal; "
                          "those set here replace the model's direct grants."
    )
    keep_versions: int | None = Field(
        None, ge=1, description="Keep this many newest versions; older ones are deleted "
                                "(never one an alias points at)."
    )
    lifecycle: RegisteredModelLifecycle = Field(
        default_factory=RegisteredModelLifecycle,
        description="Protection and ignore rules; delete_versions for destroy.",
    )

    @model_validator(mode="after")
    def _loggable(self) -> RegisteredModelSpec:
        if self.signature is None and self.input_example is None:
            raise ValueError("set signature (Unity Catalog requires one) or input_example "
                             "(MLflow infers the signature by running the chain)")
        if self.aliases and len(set(self.aliases)) != len(self.aliases):
            raise ValueError("aliases must be unique")
        principals = [g.principal for g in self.grants or ()]
        if len(set(principals)) != len(principals):
            raise ValueError("grants: one entry per principal")
        return self
