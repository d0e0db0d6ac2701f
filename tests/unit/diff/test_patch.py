"""diff.patch: one field read and written by path, keyed list items by their key."""

from __future__ import annotations

from provisioner.diff.patch import ABSENT, get, put

DOCUMENT = {"name": "chat", "tags": [{"key": "team", "value": "search"}],
            "config": {"served_entities": [{"name": "llm", "workload_size": "Small"}]}}


def test_get_follows_keys_indexes_and_keyed_items():
    assert get(DOCUMENT, ("tags", ("key", "team"), "value")) == "search"
    assert get(DOCUMENT, ("config", "served_entities", 0, "name")) == "llm"
    assert get(DOCUMENT, ("tags", ("key", "owner"))) is ABSENT
    assert get(DOCUMENT, ("description",)) is ABSENT


def test_put_sets_appends_and_removes_without_touching_the_original():
    moved = put(DOCUMENT, ("tags", ("key", "team"), "value"), "platform")
    assert moved["tags"] == [{"key": "team", "value": "platform"}]
    assert DOCUMENT["tags"] == [{"key": "team", "value": "search"}]
    added = put(DOCUMENT, ("tags", ("key", "owner")), {"key": "owner", "value": "ana"})
    assert [t["key"] for t in added["tags"]] == ["team", "owner"]
    removed = put(DOCUMENT, ("config", "served_entities", ("name", "llm")), ABSENT)
    assert removed["config"]["served_entities"] == []
    created = put(DOCUMENT, ("ai_gateway", "usage_tracking_config", "enabled"), True)
    assert created["ai_gateway"] == {"usage_tracking_config": {"enabled": True}}
    assert put(DOCUMENT, ("name",), ABSENT).keys() == {"tags", "config"}
