"""`sql_warehouses`: the SQL compute that `SQLDatabase.from_databricks` and the Statement
Execution API run queries on (`POST /api/2.0/sql/warehouses`, databricks-sdk `sql` service).

Every field is the create request's and the edit request's own: `POST .../{id}/edit` takes
the same body, so nothing but the name (how the stack finds the warehouse) forces a
replacement.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from provisioner.specs.base import Permission, ResourceSpec, Spec, skip_if_reference
from provisioner.specs.fields import ApiTags, tags_field

CLUSTER_SIZES = ("2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large",
                 "3X-Large", "4X-Large", "5X-Large")
"""`cluster_size` values the SDK's `GetWarehouseResponse` lists."""


def _warehouse_name(value: str) -> str:
    if not skip_if_reference(value) and not 0 < len(value) < 100:
        raise ValueError("must be 1 to 99 characters (the API: unique, under 100 characters)")
    return value


class WarehousePermission(Permission):
    level: Literal["CAN_VIEW", "CAN_MONITOR", "CAN_USE", "CAN_MANAGE", "IS_OWNER"] = Field(
        description="CAN_VIEW, CAN_MONITOR, CAN_USE (run queries), CAN_MANAGE or IS_OWNER."
    )


class Channel(Spec):
    """Which Databricks SQL release the warehouse runs."""

    name: Literal["CHANNEL_NAME_CURRENT", "CHANNEL_NAME_PREVIEW", "CHANNEL_NAME_PREVIOUS",
                  "CHANNEL_NAME_CUSTOM"] | None = Field(
        None, description="CHANNEL_NAME_CURRENT (the service's default), _PREVIEW, _PREVIOUS, or "
                          "_CUSTOM with dbsql_version."
    )
    dbsql_version: str | None = Field(
        None, description="The DBSQL version; only with CHANNEL_NAME_CUSTOM."
    )


class WarehouseTags(Spec):
    """The API's `tags` object, which holds the list of custom tags."""

    custom_tags: ApiTags | None = tags_field("Tags on the warehouse and its cloud resources.")


class SqlWarehouseSpec(ResourceSpec):
    """A SQL warehouse (classic, pro or serverless)."""

    KIND = "sql_warehouses"
    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The warehouse's name.",
        "id": "The warehouse's id (what `SQLDatabase.from_databricks(warehouse_id=...)` takes).",
        "http_path": "odbc_params.path, e.g. /sql/1.0/warehouses/<id> (the SQL connector's "
                     "http_path).",
        "jdbc_url": "The JDBC connection string.",
        "state": "STARTING, RUNNING, STOPPING, STOPPED, DELETING or DELETED.",
    }

    name: Annotated[str, AfterValidator(_warehouse_name)] | None = Field(
        None, description="Warehouse name, unique in the workspace, under 100 characters; "
                          "defaults to the key."
    )
    cluster_size: Literal[CLUSTER_SIZES] = Field(  # type: ignore[valid-type]
        description="2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, "
                    "4X-Large or 5X-Large."
    )
    min_num_clusters: int | None = Field(
        None, ge=1, le=30, description="Clusters kept available, 1 to 30; the service's default "
                                       "is 1."
    )
    max_num_clusters: int | None = Field(
        None, ge=1, le=40, description="Clusters the autoscaler may add up to, at least "
                                       "min_num_clusters and at most 40; defaults to "
                                       "min_num_clusters."
    )
    auto_stop_mins: int | None = Field(
        None, ge=0, description="Idle minutes before the warehouse stops: 0 (never) or at least "
                                "10 (any for serverless); the service's default is 120."
    )
    enable_photon: bool | None = Field(None, description="Photon clusters; default true.")
    enable_serverless_compute: bool | None = Field(
        None, description="Serverless compute (needs warehouse_type PRO); default false."
    )
    warehouse_type: Literal["PRO", "CLASSIC"] | None = Field(
        None, description="PRO or CLASSIC; the service's default is CLASSIC."
    )
    spot_instance_policy: Literal["COST_OPTIMIZED", "RELIABILITY_OPTIMIZED",
                                  "POLICY_UNSPECIFIED"] | None = Field(
        None, description="COST_OPTIMIZED (the service's default) or RELIABILITY_OPTIMIZED."
    )
    channel: Channel | None = Field(None, description="The release channel.")
    tags: WarehouseTags | None = Field(
        None, description="`{custom_tags: ...}` as the API nests them."
    )
    permissions: list[WarehousePermission] | None = Field(
        None, description="The warehouse's complete access list; omitted = not managed."
    )

    @model_validator(mode="after")
    def _as_the_api_requires(self) -> SqlWarehouseSpec:
        low, high = self.min_num_clusters, self.max_num_clusters
        if low is not None and high is not None and high < low:
            raise ValueError("max_num_clusters must be at least min_num_clusters")
        if self.enable_serverless_compute and self.warehouse_type == "CLASSIC":
            raise ValueError("serverless compute needs warehouse_type PRO, not CLASSIC")
        stop = self.auto_stop_mins
        if stop is not None and 0 < stop < 10 and not self.enable_serverless_compute:
            raise ValueError("auto_stop_mins must be 0 or at least 10 (below 10 only for "
                             "serverless warehouses)")
        channel = self.channel
        if channel is not None and (channel.dbsql_version is not None) != (
                channel.name == "CHANNEL_NAME_CUSTOM"):
            raise ValueError("channel.dbsql_version goes with channel.name CHANNEL_NAME_CUSTOM, "
                             "and only with it")
        return self

    def create_body(self) -> dict[str, Any]:
        """`POST /api/2.0/sql/warehouses` (and `.../{id}/edit`) body."""
        return self.api_fields()
