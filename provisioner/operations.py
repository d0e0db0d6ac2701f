"""The closed sets of actions and reasons shared by plan, apply and renderers."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    NO_OP = "no-op"
    ADOPT = "adopt"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def terraform_actions(self) -> list[str]:
        """Terraform's `change.actions` spelling, for policy tools that read plan JSON."""
        return {
            Action.NO_OP: ["no-op"],
            Action.ADOPT: ["no-op"],
            Action.CREATE: ["create"],
            Action.UPDATE: ["update"],
            Action.REPLACE: ["delete", "create"],
            Action.DELETE: ["delete"],
        }[self]

    @property
    def is_destructive(self) -> bool:
        return self in (Action.REPLACE, Action.DELETE)


class Reason(StrEnum):
    """Why a field or resource changes; reasons explain, they never drive apply."""

    NEW_RESOURCE = "new_resource"
    NOT_IN_STATE = "not_in_state"
    REMOVED_FROM_STACK = "removed_from_stack"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    IMMUTABLE_FIELD = "immutable_field"
    RESET = "reset"
    DRIFT = "drift"
    GONE_FROM_WORKSPACE = "gone_from_workspace"
    UNFINISHED_CREATE = "unfinished_create"
    """Created (the workspace acknowledged it) but not ready when the last apply stopped."""
    FAILED_CREATE = "failed_create"
    """Created, then failed to become ready: replaced, as Terraform replaces a tainted one."""
    NOT_OURS = "not_ours"
    """The workspace has an object of that name whose id is not the one recorded."""
    BOUND_TO_REPLACED = "bound_to_replaced"
    """It lives on a resource that was re-created, so it must be re-created there too."""
