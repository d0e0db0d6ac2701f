"""`provisioner reference-docs`: print `docs/kinds.md`, every kind's fields, rules and
attributes, generated from the specs and the kinds' rules (a test keeps the file fresh)."""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import click

from provisioner.cli.output import out

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    from provisioner.diff.rules import Rules

REGENERATE = "provisioner reference-docs > docs/kinds.md"

# Rules are written against a handler's document, not the spec. Where a spec field lands
# elsewhere there: the short forms compile to a serving endpoint (`to_serving_endpoint()`;
# `{block}` is the `<provider>_config` field of the config form in hand), and a registered
# model's `delete_versions` is read from its lifecycle. Any other field keeps its path.
# tests/unit/test_reference_docs.py checks these paths against the handlers' documents.
COMPILED_PATHS: dict[str, dict[str, str]] = {
    "external_models": {
        "provider": "served_entities[*].external_model.provider",
        "model": "served_entities[*].external_model.name",
        "task": "served_entities[*].external_model.task",
        "config": "served_entities[*].external_model.{block}",
        "served_entity_name": "served_entities[*].name",
    },
    "foundation_models": {
        "model": "served_entities[*].entity_name",
        "version": "served_entities[*].entity_version",
        "throughput.min": "served_entities[*].min_provisioned_throughput",
        "throughput.max": "served_entities[*].max_provisioned_throughput",
        "provisioned_model_units": "served_entities[*].provisioned_model_units",
        "burst_scaling_enabled": "served_entities[*].burst_scaling_enabled",
        "scale_to_zero_enabled": "served_entities[*].scale_to_zero_enabled",
        "served_entity_name": "served_entities[*].name",
    },
    "registered_models": {
        "lifecycle.delete_versions": "delete_versions",
    },
}

FOLDED_PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "registered_models": ("version.content_hash",
                          ("flavor", "code", "config", "requirements", "signature",
                           "input_example")),
}
"""Fields a handler folds into one value of its document: a registered model's version is
identified by the hash of its content, so a change to any of these (at any depth) is a change
of `version.content_hash`, a new version. Checked by tests/unit/test_reference_docs.py."""

_SHORT_MODEL = 2
"""A model with at most this many fields is shown by its field names (`{min, max}`)."""


@click.command("reference-docs", hidden=True)
def reference_docs() -> None:
    """Print docs/kinds.md (every kind's fields, rules and attributes) from the code."""
    out(render())


@dataclass(frozen=True)
class Row:
    """One field of a kind: its path as a stack writes it, and what the docs say of it."""

    path: str
    info: FieldInfo
    form: type | None = None
    """The member of a union of models this field belongs to (e.g. a provider's config)."""
    same_as: str | None = None
    """For a recursive type: the path whose rows describe its fields."""


def render() -> str:
    """The whole of docs/kinds.md."""
    from provisioner.kinds.registry import HANDLERS
    from provisioner.specs import SPECS

    lines = [
        "# Resource kinds",
        "",
        f"<!-- Generated from the code by `{REGENERATE}`; do not edit. -->",
        "",
        "Every kind a stack can declare under `resources:`, in the order of "
        "`provisioner.specs.SPECS`: what it is, how its resources are named, the attributes "
        "`${resources.<kind>.<key>.<attribute>}` may name, and every field. The stack "
        "language itself (files, variables, targets, templates, references) is described in "
        "[stack-language.md](stack-language.md).",
        "",
        "| kind | name defaults to the key | plan / apply |",
        "|---|---|---|",
    ]
    for kind, spec in SPECS.items():
        lines.append(f"| [`{kind}`](#{kind}) | {_yes_no(spec.NAME_DEFAULTS_TO_KEY)} | "
                     f"{'supported' if kind in HANDLERS else 'not yet supported'} |")
    lines += ["", *_legend()]
    for kind, spec in SPECS.items():
        handler = HANDLERS.get(kind)
        lines += ["", *_kind(kind, spec, handler.rules if handler else None)]
    return "\n".join(lines)


def _legend() -> list[str]:
    return [
        "## Reading the field tables",
        "",
        "- **Field** is the path of the field in a resource, in the syntax of "
        "`lifecycle.ignore_changes` and of plans: `a.b` is field `b` of object `a`, `a[*].b` "
        "is field `b` of every item of list `a`, `a.*.b` is field `b` of every value of map "
        "`a`.",
        "- **Type**: `string`, `int`, `number`, `bool`, `any` (any YAML value), `list of …`, "
        "`map of …` (string keys), `object` (its fields follow in the table), `{a, b}` (an "
        "object with fields `a` and `b`), or the values allowed. A template (`\"{{ var.n }}\"`) "
        "may stand for any scalar: it renders to a string that is then converted to the "
        "field's type.",
        "- **Required**: whether the field must be written (where its parent is written).",
        "- **Plan** (kinds that plan/apply supports): what a change to the field does. "
        "*in place* updates the resource; *replace* deletes and re-creates it (the reason "
        "follows); *server default*: the service fills the field when the stack leaves it "
        "unset, so that is never a change; *keyed by …*: list items are matched by those "
        "fields, in any order; *atomic list*: the list is compared whole; *input only*: the "
        "service never returns the field, so it is compared with what was last applied and "
        "never drifts; *sensitive*: the value is never shown (`(sensitive)`) and is stored "
        "as a hash; *normalized*: both sides are compared in the form the service rewrites "
        "the value to; *not sent*: read by provisioner itself, never part of the resource; "
        "*folded into …*: not compared on its own but as part of that value (a registered "
        "model's content hash: a change logs a new version). "
        "A field of a short form (`external_models`, `foundation_models`) that lands "
        "elsewhere in the serving endpoint it compiles to says where (*as …*): plans, "
        "`lifecycle.ignore_changes` and the rules use that path.",
    ]


def _kind(kind: str, spec: type[BaseModel], rules: Rules | None) -> list[str]:
    lines = [f"## `{kind}`", "", _text(inspect.cleandoc(spec.__doc__ or "")), ""]
    if spec.NAME_DEFAULTS_TO_KEY:  # type: ignore[attr-defined]
        lines.append(f"- **Name**: defaults to the resource's key (`{kind}.<key>` is named "
                     "`<key>`); `name` overrides it.")
    else:
        lines.append("- **Name**: required (`name`); it does not default to the key.")
    if rules is None:
        lines.append("- **Plan/apply: not yet supported.** Stacks with this kind validate "
                     "(`provisioner validate`, `graph`), but `plan` and `apply` cannot "
                     "handle it yet.")
    else:
        lines.append("- **Plan/apply**: supported.")
    lines += ["", "Attributes (`${resources." + kind + ".<key>.<attribute>}`):", "",
              "| attribute | description |", "|---|---|"]
    for attribute, description in spec.ATTRIBUTES.items():  # type: ignore[attr-defined]
        lines.append(f"| `{attribute}` | {_cell(description)} |")
    header = "| field | type | required | plan | description |" if rules else \
        "| field | type | required | description |"
    lines += ["", "Fields:", "", header, "|---|---|---|---|---|" if rules else "|---|---|---|---|"]
    for row in rows(spec):
        cells = [f"`{row.path}`", _cell(_type_text(row)),
                 _yes_no(row.info.is_required())]
        if rules is not None:
            cells.append(_cell(_plan_text(kind, row, rules)))
        cells.append(_cell(_description(row)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --- walking the models --------------------------------------------------------------------


def rows(spec: type[BaseModel]) -> list[Row]:
    """Every field path of a spec: nested models, list items `[*]`, map values `*`, and each
    member of a union of models; a type that contains itself is described once."""
    return list(_walk(spec, "", None, (), {}, top=True))


def _walk(model: type[BaseModel], prefix: str, form: type | None, stack: tuple[type, ...],
          described: dict[type, str], *, top: bool = False) -> Iterator[Row]:
    described.setdefault(model, prefix)
    for name, info in _ordered_fields(model, top):
        path = f"{prefix}.{_field_name(name, info)}" if prefix else _field_name(name, info)
        nested = _nested_models(_annotation(info))
        again = [m for m, _ in nested if m in stack or (_recursive(m) and m in described)]
        if again:
            yield Row(path, info, form, same_as=described.get(again[0], path))
            continue
        yield Row(path, info, form)
        union = len(nested) > 1
        for member, suffix in nested:
            yield from _walk(member, path + suffix, member if union else form,
                             (*stack, model), described)


def _ordered_fields(model: type[BaseModel], top: bool) -> list[tuple[str, FieldInfo]]:
    """Declaration order; for a kind: `name` first, then its own fields, then the fields of
    its bases (the most specific first), and last the ones every kind has (`lifecycle`,
    `depends_on`)."""
    fields = list(model.model_fields.items())
    if not top:
        return fields
    from provisioner.specs.base import ResourceSpec

    shared = set(ResourceSpec.model_fields) - {"name"}
    depth = {name: _declared_at(model, name) for name, _ in fields}
    return sorted(fields, key=lambda f: (f[0] != "name", f[0] in shared, depth[f[0]]))


def _declared_at(model: type, field: str) -> int:
    for depth, cls in enumerate(model.__mro__):
        if field in cls.__dict__.get("__annotations__", {}):
            return depth
    return len(model.__mro__)


def _field_name(name: str, info: FieldInfo) -> str:
    return info.alias or name


def _annotation(info: FieldInfo) -> Any:
    return info.rebuild_annotation()


def _nested_models(annotation: Any) -> list[tuple[type, str]]:
    """The models a field holds, each with the path suffix that reaches it (`[*]`, `.*`)."""
    found: list[tuple[type, str]] = []
    for option in _options(annotation):
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if _is_model(option):
            found.append((option, ""))
        elif origin in (list, tuple, set, frozenset) and args:
            found += [(m, "[*]" + s) for m, s in _nested_models(args[0])]
        elif origin is dict and len(args) == 2:
            found += [(m, ".*" + s) for m, s in _nested_models(args[1])]
    return found


def _recursive(model: type) -> bool:
    """Whether a model contains itself, at any depth."""
    seen: set[type] = set()
    pending = [m for _, info in model.model_fields.items()
               for m, _ in _nested_models(_annotation(info))]
    while pending:
        current = pending.pop()
        if current is model:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending += [m for _, info in current.model_fields.items()
                    for m, _ in _nested_models(_annotation(info))]
    return False


def _is_model(value: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(value, type) and issubclass(value, BaseModel)


def _options(annotation: Any) -> list[Any]:
    """Unwrap Annotated and unions (None dropped) to the types a value may take."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for arg in typing.get_args(annotation) if arg is not type(None)
                for o in _options(arg)]
    return [annotation]


def _written_as(annotation: Any) -> Any:
    """What a stack may write: a `BeforeValidator`'s `json_schema_input_type` when it widens
    the field (tags as a map or a list), else the field's own type."""
    from pydantic import BeforeValidator
    from pydantic_core import PydanticUndefined

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        for item in metadata:
            if isinstance(item, BeforeValidator) and \
                    item.json_schema_input_type is not PydanticUndefined:
                return item.json_schema_input_type
        return _written_as(base)
    if origin in (typing.Union, types.UnionType):
        args = [_written_as(a) for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
    return annotation


# --- cells ---------------------------------------------------------------------------------


def _type_text(row: Row) -> str:
    annotation = _annotation(row.info)
    nested = _nested_models(annotation)
    if len(nested) > 1:
        return f"object, one of {len(nested)} forms (below)"
    text = _type_of(_written_as(annotation))
    if row.same_as is not None:
        text += f" (fields as `{row.same_as}`)"
    return text


def _type_of(annotation: Any) -> str:
    texts: list[str] = []
    for option in _options(annotation):
        text = _one_type(option)
        if text not in texts:
            texts.append(text)
    return " or ".join(texts)


def _one_type(option: Any) -> str:
    origin = typing.get_origin(option)
    args = typing.get_args(option)
    if origin is Literal:
        values = ", ".join(f"`{v}`" for v in args)
        return values if len(args) == 1 else f"one of {values}"
    if origin in (list, tuple, set, frozenset):
        return f"list of {_type_of(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type_of(args[1])}" if args else "map"
    if _is_model(option):
        names = [_field_name(n, i) for n, i in option.model_fields.items()]
        return "{" + ", ".join(names) + "}" if len(names) <= _SHORT_MODEL else "object"
    scalars = {str: "string", int: "int", float: "number", bool: "bool", Any: "any",
               type(None): "null"}
    return scalars.get(option, getattr(option, "__name__", str(option)))


def _description(row: Row) -> str:
    text = (row.info.description or "").strip()
    if row.form is not None:
        text = f"*For {_form_label(row.form)}:* {text}"
    return text


def _form_label(form: type) -> str:
    """Which member of a union of models a field belongs to: the provider whose config it
    is, else the first phrase of the member's docstring."""
    from provisioner.specs.providers import PROVIDER_CONFIGS

    providers = [f"`{p}`" for p, (_, model) in PROVIDER_CONFIGS.items() if model is form]
    if providers:
        return "provider " + " or ".join(providers)
    return re.split(r"[,:.]", inspect.cleandoc(form.__doc__ or form.__name__))[0]


def _plan_text(kind: str, row: Row, rules: Rules) -> str:
    from provisioner.diff.rules import (
        AtomicList,
        Canonical,
        Immutable,
        Item,
        KeyedList,
        ServerDefault,
        parse_path,
    )
    from provisioner.specs.base import ResourceSpec

    top = row.path.split(".")[0].split("[")[0]
    folded_into, folded = FOLDED_PATHS.get(kind, ("", ()))
    if top in folded:
        return f"in place; folded into `{folded_into}`"
    document_path = _document_path(kind, row)
    if document_path == row.path and top in ResourceSpec.model_fields and top != "name":
        return "not sent"  # lifecycle, depends_on: `ResourceSpec.api_fields` drops them
    path = tuple(0 if isinstance(s, Item) else s for s in parse_path(document_path))
    immutable = rules.covering(path, Immutable)
    notes = [f"replace ({immutable.reason})" if immutable else "in place"]
    notes += [f"server default ({r.reason})" for r in rules.at(path, ServerDefault)]
    list_rule = rules.list_rule(path)
    if isinstance(list_rule, KeyedList):
        notes.append("keyed by " + " / ".join(f"`{k}`" for k in list_rule.keys))
    elif isinstance(list_rule, AtomicList):
        notes.append("atomic list" + ("" if list_rule.ordered else ", order ignored"))
    notes += [f"normalized ({r.reason})" for r in rules.at(path, Canonical)]
    input_only = rules.input_only(path)
    if input_only is not None:
        notes.append(f"input only ({input_only.reason})")
    notes += _sensitivity(rules, path)
    if document_path != row.path:
        notes.append(f"as `{document_path}`")
    return "; ".join(notes)


def _sensitivity(rules: Rules, path: tuple) -> list[str]:
    def text(rule: Any, what: str) -> str:
        unless = " unless a secret reference" if rule.unless_secret_reference else ""
        return f"{what}sensitive{unless}"

    found = rules.sensitive(path)
    if found is not None:
        return [text(found, "")]
    values = rules.sensitive((*path, "*"))  # a map whose values are sensitive
    return [text(values, "values ")] if values is not None else []


def _document_path(kind: str, row: Row) -> str:
    """The path of the field in the handler's document (see `COMPILED_PATHS`)."""
    mapping = COMPILED_PATHS.get(kind, {})
    for spec_path in sorted(mapping, key=len, reverse=True):
        if row.path == spec_path or row.path.startswith((spec_path + ".", spec_path + "[")):
            target = mapping[spec_path]
            if "{block}" in target:
                target = target.format(block=_config_block(row))
            return target + row.path[len(spec_path):]
    return row.path


def _config_block(row: Row) -> str:
    from provisioner.specs.providers import PROVIDER_CONFIGS

    blocks = {model: block for block, model in PROVIDER_CONFIGS.values()}
    return blocks.get(row.form, "<provider>_config")  # `config` itself


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


_CODE = re.compile(r"(`[^`]*`)")
_BRACES = re.compile(r"(\{\{[^{}`]*\}\})")


def _text(text: str) -> str:
    """Markdown prose: `{{secrets/<scope>/<key>}}` as code, `<` and `>` escaped elsewhere
    outside code spans (`<scope>` is not an HTML tag)."""
    parts = _CODE.split(_BRACES.sub(r"`\1`", text))
    return "".join(p if p.startswith("`") else p.replace("<", "&lt;").replace(">", "&gt;")
                   for p in parts)


def _cell(text: str) -> str:
    """A table cell: one line, `|` escaped."""
    return _text(" ".join(text.split())).replace("|", "\\|")
