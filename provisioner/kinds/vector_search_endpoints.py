"""Vector search endpoints (reference: vector-search.md §1, §3–4)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.rules import Immutable, InputOnly, KeyedList, Rules
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress
from provisioner.kinds.common import (
    POLLED,
    PRINCIPALS,
    permissions_document,
    put_grants,
    read_grants,
    spec_permissions,
    tags_map,
)
from provisioner.kinds.waiting import wait_until_ready
from provisioner.workspace.api import vector_search as api

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.vector_search_endpoints import VectorSearchEndpointSpec

RULES = Rules((
    Immutable("name", reason="the name identifies the endpoint"),
    Immutable("endpoint_type", reason="the endpoint type is fixed at creation"),
    Immutable("usage_policy_id", reason="no API changes the usage policy"),
    InputOnly("usage_policy_id", reason="GET never returns it (SDK 0.156 EndpointInfo has no "
                                        "usage_policy_id)"),
    InputOnly("budget_policy_id", reason="GET returns the effective policy, which may be "
                                         "inherited: compare with what was applied"),
    KeyedList("custom_tags", keys=("key",), reason="tags are keyed"),
    KeyedList("permissions", keys=PRINCIPALS, reason="one entry per principal"),
))
STOPPED_OR_FAILED = ("OFFLINE", "STOPPED", "STOPPING", "RED_STATE", "DELETED")
"""States an endpoint does not leave by itself: waiting for ONLINE would only time out. A
stopped endpoint is started with `POST .../start` (SDK `start_endpoint`); STARTING and
PROVISIONING end ONLINE, so they are waited on (vector-search.md §1)."""
SEVERITY = {
    "name": DriftSeverity.BREAKING,
    "endpoint_type": DriftSeverity.BREAKING,  # only a re-creation changes it: indexes went too
    "target_qps": DriftSeverity.CONFIG,
    "permissions": DriftSeverity.CONFIG,
    "budget_policy_id": DriftSeverity.CONFIG,
    "usage_policy_id": DriftSeverity.CONFIG,
    "custom_tags": DriftSeverity.COSMETIC,
}


class VectorSearchEndpointHandler(HandlerBase):
    kind: ClassVar[str] = "vector_search_endpoints"
    provides: ClassVar[str] = "vector_search_endpoint"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    generates = True
    partial_create: ClassVar[bool] = True
    ready_timeout: ClassVar[float] = 60 * 60.0  # the CLI waits 60 min, Terraform 75

    def desired(self, spec: VectorSearchEndpointSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        document = spec.create_body()
        api_fields = spec.to_api()
        if "custom_tags" in api_fields:
            document["custom_tags"] = api_fields["custom_tags"]
        if spec.permissions is not None:
            document["permissions"] = permissions_document(spec.permissions)
        return document

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        found = api.get_endpoint(client, name)
        if found is None:
            return None
        document: dict[str, Any] = {"name": found["name"], "endpoint_type": found.get(
            "endpoint_type"), "custom_tags": found.get("custom_tags", [])}
        qps = (found.get("scaling_info") or {}).get("requested_target_qps")
        if qps is not None:
            document["target_qps"] = qps
        if fields is None or "permissions" in fields:  # a second call: only when compared
            document["permissions"] = read_grants(client, api.get_permissions(
                client, found["id"]), desired)
        state = (found.get("endpoint_status") or {}).get("state", "")
        indexes = _indexes_when_asked(client, found["name"], found.get("num_indexes"))
        return Live(name=found["name"], id=found.get("id"), document=document,
                    outputs={"name": found["name"], "id": found.get("id"), "state": state},
                    ready=state == "ONLINE", status=state,
                    facts={"indexes": indexes, "endpoint_type": found.get("endpoint_type")})

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> None:
        """The create call takes neither tags nor an access list: `update` sends them once
        the engine has read the new endpoint back (`partial_create`)."""
        api.create_endpoint(client, {k: v for k, v in desired.items()
                                     if k not in ("custom_tags", "permissions")})

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        changed = {c.path[0] for c in changes}
        if "target_qps" in changed:
            api.patch_endpoint(client, live.name, desired.get("target_qps"))
        if "budget_policy_id" in changed:
            api.update_budget_policy(client, live.name, desired.get("budget_policy_id"))
        if "custom_tags" in changed:  # the PATCH sends the whole set (as the CLI does)
            api.update_tags(client, live.name, desired.get("custom_tags", []))
        if "permissions" in changed:
            put_grants(client, api.set_permissions, live.id, desired.get("permissions", []))

    def delete(self, client: WorkspaceClient, live: Live) -> None:
        api.delete_endpoint(client, live.name)

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        name = desired["name"]
        return wait_until_ready(lambda: self.read(client, name, fields=POLLED),
                                what=f"vector search endpoint '{name}'",
                                failed=lambda status: status in STOPPED_OR_FAILED,
                                timeout=timeout, progress=progress)

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str]:
        return set(names) & set(self.list_names(client))

    def list_names(self, client: WorkspaceClient) -> list[str]:
        return [e["name"] for e in api.list_endpoints(client)]

    def to_spec(self, live: Live) -> dict[str, Any]:
        spec = dict(live.document)
        if "custom_tags" in spec:
            spec["custom_tags"] = tags_map(spec["custom_tags"])
        if "permissions" in spec:
            spec["permissions"] = spec_permissions(spec["permissions"])
        return spec

    def impact(self, action: str, live: Live) -> tuple[str, ...]:
        indexes = live.facts["indexes"]()
        if not indexes:
            return ()
        fate = "are re-created" if action == "replace" else "are deleted"
        return (f"its indexes go with it and {fate}: {', '.join(indexes)}",)

    def contained(self, live: Live) -> tuple[tuple[str, str], ...]:
        return tuple(("vector_search_index", name) for name in live.facts["indexes"]())


def _indexes_when_asked(client: WorkspaceClient, endpoint: str, count: int | None,
                        ) -> Callable[[], tuple[str, ...]]:
    """The endpoint's index names, listed the first time they are asked for: only a replace or
    a delete needs them, and a plan that lists them for every endpoint it reads spends a call
    per endpoint for nothing (and a readiness wait one per poll)."""
    if not count:
        return lambda: ()
    return functools.cache(lambda: tuple(i["name"] for i in api.list_indexes(client, endpoint)))
