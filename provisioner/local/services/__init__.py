"""The emulated Databricks services: one route table for all, and what a new workspace holds."""

from __future__ import annotations

import time
from collections.abc import Callable

from provisioner.local.model_registry import MODELS
from provisioner.local.protocol import Routes
from provisioner.local.services import (
    foundation_models,
    identity,
    invocations,
    mlflow_tracking,
    model_files,
    permissions,
    secrets,
    serving_endpoints,
    sql_statements,
    sql_thrift,
    sql_warehouses,
    uc_models,
    uc_models_catalog,
    vector_data,
    vector_search_endpoints,
    vector_search_indexes,
    workspace_files,
)
from provisioner.local.services.common import numeric_id
from provisioner.local.store import Tx

ROUTES = Routes(
    foundation_models.routes,
    identity.routes,
    invocations.routes,
    serving_endpoints.routes,
    sql_warehouses.routes,
    sql_statements.routes,
    sql_thrift.routes,
    vector_search_endpoints.routes,
    vector_search_indexes.routes,
    vector_data.routes,
    permissions.routes,
    secrets.routes,
    workspace_files.routes,
    uc_models.routes,
    uc_models_catalog.routes,
    model_files.routes,
    mlflow_tracking.routes,  # last: it forwards every other /mlflow/ path to MLflow
)

META = "meta"


def seeder(user: str) -> Callable[[Tx], None]:
    """Seeds an empty store (a new or reset workspace) once; a seeded one is left alone."""

    def seed(tx: Tx) -> None:
        if tx.get(META, "workspace") is not None:
            return
        tx.put(META, "workspace", {"workspace_id": str(numeric_id())})
        serving_endpoints.seed(tx, time.time(), user)
        workspace_files.seed(tx, user)

    return seed


def workspace_id(tx: Tx) -> str:
    return tx.get(META, "workspace")["workspace_id"]


def summary(tx: Tx) -> dict[str, list[str]]:
    """Names of what the workspace holds, by kind; pay-per-token endpoints listed apart."""
    endpoints = tx.list(serving_endpoints.KIND)
    files = tx.list(workspace_files.KIND)
    return {
        "serving_endpoints": [e["name"] for e in endpoints if not e["read_only"]],
        "foundation_endpoints": [e["name"] for e in endpoints if e["read_only"]],
        "vector_search_endpoints": [e["name"] for e in tx.list(vector_search_endpoints.KIND)],
        "vector_search_indexes": [i["name"] for i in tx.list(vector_search_indexes.KIND)],
        "sql_warehouses": sorted(w["name"] for w in tx.list(sql_warehouses.KIND)),
        "experiments": sorted(e["name"] for e in tx.list(mlflow_tracking.EXPERIMENTS)),
        "secret_scopes": [s["name"] for s in tx.list(secrets.SCOPES)],
        "workspace_files": [f["path"] for f in files if f["object_type"] != "DIRECTORY"],
        "registered_models": [m["full_name"] for m in tx.list(MODELS)],
    }
