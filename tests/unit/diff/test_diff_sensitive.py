from __future__ import annotations

import hashlib
import json
from typing import Any

from provisioner.diff import MASK, Rules, hash_sensitive, hash_value, is_sensitive_path, mask


def test_hash_is_sha256_of_canonical_json() -> None:
    digest = hashlib.sha256(json.dumps("sk-123").encode()).hexdigest()
    assert hash_value("sk-123") == f"sha256:{digest}"
    assert hash_value({"b": 1.0, "a": None}) == hash_value({"b": 1})
    assert hash_value(True) != hash_value(1)
    assert hash_value("a") != hash_value("b")


def test_hashing_a_hash_keeps_it() -> None:
    once = hash_value("sk-123")
    assert hash_value(once) == once


def test_environment_values_are_sensitive_unless_secret_references(
    serving_rules: Rules, endpoint_desired: dict[str, Any], canary: str
) -> None:
    env = ("served_entities", 0, "environment_vars")
    assert is_sensitive_path((*env, "RETRIEVER_TOKEN"), serving_rules, canary)
    assert not is_sensitive_path((*env, "X"), serving_rules, "{{secrets/llm-keys/openai}}")
    assert is_sensitive_path((*env, "X"), serving_rules)  # may be: the value decides
    assert not is_sensitive_path(("served_entities", 0, "entity_name"), serving_rules, "x")

    hashed = hash_sensitive(endpoint_desired, serving_rules)
    values = hashed["served_entities"][0]["environment_vars"]
    assert values["OPENAI_API_KEY"] == "{{secrets/llm-keys/openai}}"
    assert values["RETRIEVER_TOKEN"] == hash_value(canary)
    assert hashed["served_entities"][0]["entity_name"] == "main.rag.rag_chain"
    assert canary not in repr(hashed)


def test_plaintext_fields_are_sensitive_by_name_in_any_kind() -> None:
    value = {
        "external_model": {
            "openai_config": {"openai_api_key_plaintext": "sk-live", "openai_api_base": "u"},
            "custom_provider_config": {"api_key_auth": {"key": "k", "value_plaintext": "v"}},
        }
    }
    masked = mask(value, Rules())
    assert masked["external_model"]["openai_config"] == {
        "openai_api_key_plaintext": MASK, "openai_api_base": "u"}
    assert masked["external_model"]["custom_provider_config"]["api_key_auth"] == {
        "key": "k", "value_plaintext": MASK}


def test_mask_hides_hashes_too_and_keeps_unset_values(serving_rules: Rules, canary: str) -> None:
    entity = {"environment_vars": {"A": canary, "B": None}}
    hashed = hash_sensitive(entity, serving_rules, at=("served_entities", ("name", "x")))
    assert mask(hashed, serving_rules, at=("served_entities", ("name", "x"))) == {
        "environment_vars": {"A": MASK, "B": None}}
    assert mask(canary, serving_rules,
                at=("served_entities", ("name", "x"), "environment_vars", "A")) == MASK


def test_hash_sensitive_is_idempotent(serving_rules: Rules, endpoint_desired: dict[str, Any]):
    once = hash_sensitive(endpoint_desired, serving_rules)
    assert hash_sensitive(once, serving_rules) == once


def test_what_holds_nothing_to_hide_is_shared_not_copied(serving_rules: Rules,
                                                         endpoint_desired: dict[str, Any],
                                                         canary: str) -> None:
    """A plan keeps a masked and a hashed copy of thousands of documents: parts with nothing
    to hide are the input's own objects (documents are never edited in place)."""
    before = json.dumps(endpoint_desired, sort_keys=True)
    hashed = hash_sensitive(endpoint_desired, serving_rules)
    assert json.dumps(endpoint_desired, sort_keys=True) == before  # the input is untouched
    entity, original = hashed["served_entities"][0], endpoint_desired["served_entities"][0]
    assert entity is not original  # it holds the hidden value
    assert entity["environment_vars"]["RETRIEVER_TOKEN"] == hash_value(canary)
    assert all(entity[k] is v for k, v in original.items() if k != "environment_vars")
    plain = {"name": "e", "tags": [{"key": "team", "value": "x"}]}
    assert mask(plain, serving_rules) is plain
    assert mask(hashed, serving_rules)["tags"] is hashed["tags"]
