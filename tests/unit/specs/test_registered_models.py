"""`registered_models`: our own shape for a LangChain chain logged from code."""

from __future__ import annotations

import json

import pytest

from provisioner.specs.registered_models import RegisteredModelSpec, Signature

from .helpers import DESIGN, errors

EXAMPLE = DESIGN["registered_models"]["rag_chain"]
CHAT_SIGNATURE = {
    "inputs": [{"name": "messages", "type": "array", "items": {
        "type": "object", "properties": {"role": {"type": "string"},
                                         "content": {"type": "string", "required": False}}}}],
    "outputs": [{"type": "string"}],
}


def test_design_example():
    spec = RegisteredModelSpec.model_validate(EXAMPLE).with_default_name("rag_chain")
    assert spec.name == "main.rag.rag_chain"
    assert spec.to_api() == EXAMPLE
    assert set(RegisteredModelSpec.ATTRIBUTES) == {"name", "version", "uri"}


def test_every_field():
    spec = RegisteredModelSpec.model_validate({
        **EXAMPLE, "config": "chains/config.yaml", "requirements": ["langchain==1.4.7"],
        "signature": CHAT_SIGNATURE, "input_example": {"messages": [{"role": "user",
                                                                     "content": "hi"}]},
        "aliases": ["champion", "prod-2"], "tags": [{"key": "team", "value": "search"}],
        "description": "RAG chain", "keep_versions": "5",
        "lifecycle": {"prevent_destroy": True, "delete_versions": True},
    })
    assert spec.config == ["chains/config.yaml"]
    assert spec.tags == {"team": "search"}
    assert spec.keep_versions == 5
    assert spec.lifecycle.delete_versions and spec.lifecycle.prevent_destroy


def test_config_may_be_a_list():
    spec = RegisteredModelSpec.model_validate({**EXAMPLE, "config": ["a.yaml", "b.yaml"]})
    assert spec.config == ["a.yaml", "b.yaml"]


def test_name_is_required_on_every_target():
    message = errors(RegisteredModelSpec, {k: v for k, v in EXAMPLE.items() if k != "name"})
    assert "name is required: the three-part Unity Catalog name catalog.schema.model" in message
    assert "name: must be lower case" in errors(
        RegisteredModelSpec, {**EXAMPLE, "name": "main.rag.RAG_chain"})
    assert "name: must be a three-part" in errors(
        RegisteredModelSpec, {**EXAMPLE, "name": "rag_chain"})


def test_signature_or_input_example():
    bare = {k: v for k, v in EXAMPLE.items() if k != "signature"}
    assert "set signature (Unity Catalog requires one) or input_example" in errors(
        RegisteredModelSpec, bare)
    assert RegisteredModelSpec.model_validate({**bare, "input_example": "What is RAG?"})


def test_signature_to_mlflow_column_specs():
    signature = Signature.model_validate(CHAT_SIGNATURE)
    mlflow = signature.to_mlflow()
    assert json.loads(mlflow["inputs"]) == [{
        "type": "array", "name": "messages", "required": True,
        "items": {"type": "object", "properties": {
            "role": {"type": "string", "required": True},
            "content": {"type": "string", "required": False}}},
    }]
    assert json.loads(mlflow["outputs"]) == [{"type": "string", "required": True}]


def test_signature_rules():
    assert "inputs: List should have at least 1 item" in errors(
        Signature, {"inputs": [], "outputs": [{"type": "string"}]})
    assert "outputs: Field required" in errors(Signature, {"inputs": [{"type": "string"}]})
    assert "inputs.0.type: Input should be" in errors(
        Signature, {"inputs": [{"type": "str"}], "outputs": [{"type": "string"}]})
    assert "type array needs items" in errors(
        Signature, {"inputs": [{"type": "array"}], "outputs": [{"type": "string"}]})
    assert "values is only for type map" in errors(
        Signature, {"inputs": [{"type": "string", "values": {"type": "string"}}],
                    "outputs": [{"type": "string"}]})
    assert "inputs: name every column or none" in errors(
        Signature, {"inputs": [{"name": "a", "type": "string"}, {"type": "string"}],
                    "outputs": [{"type": "string"}]})
    assert "outputs: column names must be unique" in errors(
        Signature, {"inputs": [{"type": "string"}],
                    "outputs": [{"name": "a", "type": "string"}, {"name": "a", "type": "long"}]})


@pytest.mark.parametrize(("alias", "expected"), [
    ("latest", "is reserved"), ("V3", "is reserved"), ("has space", "must be 1 to 255"),
    ("", "must be 1 to 255"), ("a" * 256, "must be 1 to 255"),
])
def test_alias_rules(alias, expected):
    assert expected in errors(RegisteredModelSpec, {**EXAMPLE, "aliases": [alias]})


def test_aliases_are_unique_and_may_look_like_words():
    assert "aliases must be unique" in errors(
        RegisteredModelSpec, {**EXAMPLE, "aliases": ["a", "a"]})
    assert RegisteredModelSpec.model_validate({**EXAMPLE, "aliases": ["v1beta", "prod_2"]})


def test_code_is_a_relative_python_file():
    assert "code: '/abs/chain.py' must be a path relative to the stack folder" in errors(
        RegisteredModelSpec, {**EXAMPLE, "code": "/abs/chain.py"})
    assert "must be a Python file (.py)" in errors(
        RegisteredModelSpec, {**EXAMPLE, "code": "chains/chain.ipynb"})
    assert "config.0: 'C:\\cfg.yaml' must be a path relative" in errors(
        RegisteredModelSpec, {**EXAMPLE, "config": "C:\\cfg.yaml"})


def test_flavor_and_keep_versions():
    assert "flavor: Input should be 'langchain'" in errors(
        RegisteredModelSpec, {**EXAMPLE, "flavor": "pyfunc"})
    assert "keep_versions: Input should be greater than or equal to 1" in errors(
        RegisteredModelSpec, {**EXAMPLE, "keep_versions": 0})
    assert "lifecycle.delete_version: Extra inputs are not permitted" in errors(
        RegisteredModelSpec, {**EXAMPLE, "lifecycle": {"delete_version": True}})
