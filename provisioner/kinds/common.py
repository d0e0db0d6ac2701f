"""Pieces several kinds share: access lists and tag patches."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from provisioner.specs.base import Permission
from provisioner.workspace.api import identity

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.kinds.base import Live

PRINCIPALS = ("user_name", "group_name", "service_principal_name")
MANAGE = "CAN_MANAGE"
"""The level that lets a principal change and delete an endpoint and grant access to it."""
OWNER = "IS_OWNER"
"""The level of the one owner of an object that has one (SQL warehouses, among our kinds)."""
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def permissions_document(permissions: Sequence[Permission]) -> list[dict[str, Any]]:
    """A spec's permissions in the shape the permissions API's PUT takes."""
    return [{**dict([p.principal]), "permission_level": p.level} for p in permissions]


def spec_permissions(grants: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """ACL entries back in the stack's shape (`level`): the inverse of
    `permissions_document`."""
    return [{**{k: g[k] for k in PRINCIPALS if k in g}, "level": g["permission_level"]}
            for g in grants]


def deployer_grant(deployer: str, level: str = MANAGE) -> dict[str, str]:
    """The management grant the deployer keeps on what it deploys: a service principal's
    `userName` is its application id, a UUID (databricks/cli `libs/iamutil`)."""
    field = "service_principal_name" if _UUID.match(deployer) else "user_name"
    return {field: deployer, "permission_level": level}


def names_deployer(grant: dict[str, Any], deployer: str) -> bool:
    return deployer in (grant.get("user_name"), grant.get("service_principal_name"))


def lockout(acl: Sequence[dict[str, Any]], deployer: str) -> dict[str, Any] | None:
    """The entry of `acl` that would leave the deployer below CAN_MANAGE, if any: a list that
    names the deployer at a lower level is refused rather than silently raised."""
    return next((g for g in acl if names_deployer(g, deployer)
                 and g.get("permission_level") not in (MANAGE, OWNER)), None)


def with_deployer(acl: Sequence[dict[str, Any]], deployer: str, *, owned: bool = False
                  ) -> list[dict[str, Any]]:
    """The access list to PUT: the stack's, plus the deployer's own grant when the stack
    does not name the deployer. PUT replaces every direct grant, so a non-admin deployer
    would otherwise lose access to what it deployed. As the Databricks CLI does
    (`bundle/config/mutator/resourcemutator/fix_permissions.go`), on kinds with an owner
    (`owned`) whose list names none, the deployer is made the owner: IS_OWNER is added, or
    its CAN_MANAGE raised to it; elsewhere CAN_MANAGE is added."""
    level = OWNER if owned and not any(g.get("permission_level") == OWNER for g in acl) \
        else MANAGE
    if any(names_deployer(g, deployer) for g in acl):
        return [{**g, "permission_level": level}
                if names_deployer(g, deployer) and g.get("permission_level") == MANAGE else g
                for g in acl]
    return [*acl, deployer_grant(deployer, level)]


def managed_grants(grants: Sequence[dict[str, Any]], deployer: str,
                   desired: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Live direct grants as the stack manages them, undoing `with_deployer`: the deployer's
    own grant is not part of the list unless the stack names the deployer (Terraform's
    `databricks_permissions` leaves the caller's management grant out the same way), and a
    CAN_MANAGE it raised to IS_OWNER reads as the CAN_MANAGE the stack wrote."""
    wanted = (desired or {}).get("permissions") or ()
    mine = next((g for g in wanted if names_deployer(g, deployer)), None)
    if mine is None:
        return [g for g in grants if not (names_deployer(g, deployer)
                                          and g.get("permission_level") in (MANAGE, OWNER))]
    if mine.get("permission_level") != MANAGE or any(
            g.get("permission_level") == OWNER for g in wanted):
        return list(grants)
    return [{**g, "permission_level": MANAGE}
            if names_deployer(g, deployer) and g.get("permission_level") == OWNER else g
            for g in grants]


def read_grants(client: WorkspaceClient, permissions: dict[str, Any],
                desired: dict[str, Any] | None) -> list[dict[str, Any]]:
    """An object's permissions answer as the stack's `permissions` compare with it: direct
    grants, without the deployer's own (`managed_grants`)."""
    return managed_grants(direct_grants(permissions), identity.user_name(client), desired)


def put_grants(client: WorkspaceClient,
               put: Callable[[WorkspaceClient, str, list[dict[str, Any]]], Any],
               object_id: str, acl: Sequence[dict[str, Any]], *, owned: bool = False) -> None:
    """PUT a stack's access list through `put` (the kind's permissions call), keeping the
    deployer's own grant (`with_deployer`)."""
    put(client, object_id, with_deployer(acl, identity.user_name(client), owned=owned))


def direct_grants(permissions: dict[str, Any]) -> list[dict[str, Any]]:
    """The ACL entries set on the object itself (inherited ones are not ours to manage)."""
    grants = []
    for entry in permissions.get("access_control_list", []):
        principal = {k: entry[k] for k in PRINCIPALS if k in entry}
        for permission in entry.get("all_permissions", []):
            if not permission.get("inherited"):
                grants.append({**principal, "permission_level": permission["permission_level"]})
    return grants


POLLED: tuple[str, ...] = ()
"""`fields` of a read nothing is compared with (a readiness poll, a create's acknowledgement):
the resource's own GET only. Whether it is ready is its state, and its id and outputs are
there; its access list (a second call) is read only when an update compares it
(`with_access_list`)."""


def with_access_list(polled: Live, desired: dict[str, Any],
                     read: Callable[[], Live | None]) -> Live:
    """A ready resource as an update compares it: as its last poll read it, read whole again
    only when the stack gives it an access list (which that poll did not read)."""
    return (read() or polled) if "permissions" in desired else polled


def tag_patch(desired: Sequence[dict[str, Any]], live: Sequence[dict[str, Any]]
              ) -> tuple[list[dict[str, Any]], list[str]]:
    """(tags to add or change, keys to delete) taking `live` tags to `desired`."""
    wanted = {t["key"]: t.get("value") for t in desired}
    current = {t["key"]: t.get("value") for t in live}
    add = [{"key": k, "value": v} for k, v in wanted.items()
           if k not in current or current[k] != v]
    return add, [k for k in current if k not in wanted]


def tags_map(tags: Sequence[dict[str, Any]]) -> dict[str, str] | list[dict[str, Any]]:
    """The API's `[{key, value}]` as the map stacks usually write; kept as the list when two
    entries share a key (the map could not say so)."""
    keys = [t["key"] for t in tags]
    if len(set(keys)) != len(keys):
        return list(tags)
    return {t["key"]: str(t.get("value") or "") for t in tags}
