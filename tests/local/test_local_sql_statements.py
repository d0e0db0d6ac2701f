"""The Statement Execution API through the SDK: services/sql_statements.py and sql_engine.py.

Sources: databricks-sdk 0.156 `StatementExecutionAPI` docstrings (wait_timeout 0s or 5–50 s,
on_wait_timeout CONTINUE/CANCEL, INLINE results only as JSON_ARRAY, values as strings, a SQL
error is a FAILED statement), databricks/cli `libs/testserver/statements.go` (FAILED answers
with HTTP 200).
"""

from __future__ import annotations

import time

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound
from databricks.sdk.service import sql

from provisioner.local import LocalWorkspace

ORDERS = [{"id": 1, "customer": "ann", "amount": 12.5},
          {"id": 2, "customer": "bob", "amount": 7.0},
          {"id": 3, "customer": "ann", "amount": 3.25}]


@pytest.fixture
def warehouse(w: WorkspaceClient) -> str:
    w.api_client.do("PUT", "/_local/tables/main.sales.orders", body={"rows": ORDERS})
    return w.warehouses.create_and_wait(name="wh", cluster_size="Small").id


def run(w: WorkspaceClient, warehouse: str, statement: str, **kw) -> sql.StatementResponse:
    return w.statement_execution.execute_statement(statement, warehouse, **kw)


def test_a_query_over_a_table_stand_in(w: WorkspaceClient, warehouse: str):
    answer = run(w, warehouse, "SELECT customer, sum(amount) AS total FROM main.sales.orders "
                               "GROUP BY customer ORDER BY total DESC")
    assert answer.status.state == sql.StatementState.SUCCEEDED
    assert [(c.name, c.type_name.value) for c in answer.manifest.schema.columns] == \
        [("customer", "STRING"), ("total", "DOUBLE")]
    assert answer.manifest.total_row_count == 2
    assert answer.result.data_array == [["ann", "15.75"], ["bob", "7.0"]]


@pytest.mark.parametrize("table", ["orders", "sales.orders", "main.sales.orders",
                                   "`main`.`sales`.`orders`", "main.sales.orders o"])
def test_names_resolve_against_the_statements_catalog_and_schema(w, warehouse, table):
    answer = run(w, warehouse, f"SELECT count(*) FROM {table}", catalog="main", schema="sales")
    assert answer.result.data_array == [["3"]]


def test_named_parameters_are_typed(w: WorkspaceClient, warehouse: str):
    answer = run(w, warehouse, "SELECT id FROM sales.orders WHERE amount > :low ORDER BY id",
                 parameters=[sql.StatementParameterListItem(name="low", value="5",
                                                            type="DOUBLE")])
    assert answer.result.data_array == [["1"], ["2"]]


def test_a_sql_error_is_a_failed_statement(w: WorkspaceClient, warehouse: str):
    answer = run(w, warehouse, "SELECT * FROM main.sales.missing")
    assert answer.status.state == sql.StatementState.FAILED
    assert "no such table" in answer.status.error.message


@pytest.mark.parametrize(("statement", "columns", "rows"), [
    ("SHOW TABLES", ["database", "tableName", "isTemporary"], [["sales", "orders", "false"]]),
    ("show tables in main.sales like 'x*|ord*'", ["database", "tableName", "isTemporary"],
     [["sales", "orders", "false"]]),
    ("SHOW SCHEMAS", ["databaseName"], [["sales"]]),
    ("SHOW CATALOGS", ["catalog"], [["main"]]),
    ("DESCRIBE TABLE `orders`", ["col_name", "data_type", "comment"],
     [["id", "bigint", None], ["customer", "string", None], ["amount", "double", None]]),
])
def test_catalog_commands_answer_from_the_stand_ins(w, warehouse, statement, columns, rows):
    """Databricks SQL's output columns (SQL reference: SHOW TABLES, SHOW SCHEMAS, SHOW
    CATALOGS, DESCRIBE TABLE); booleans are "true"/"false" in JSON_ARRAY."""
    answer = run(w, warehouse, statement, catalog="main", schema="sales")
    assert [c.name for c in answer.manifest.schema.columns] == columns
    assert (answer.result.data_array or []) == rows


def test_describing_a_missing_table_is_table_or_view_not_found(w, warehouse):
    answer = run(w, warehouse, "DESCRIBE TABLE EXTENDED main.sales.missing")
    assert answer.status.state == sql.StatementState.FAILED
    assert "[TABLE_OR_VIEW_NOT_FOUND]" in answer.status.error.message


def test_writes_are_kept(w: WorkspaceClient, warehouse: str):
    run(w, warehouse, "CREATE TABLE main.sales.big AS SELECT id FROM main.sales.orders "
                      "WHERE amount > 5")
    run(w, warehouse, "INSERT INTO main.sales.big VALUES (9)")
    answer = run(w, warehouse, "SELECT id FROM main.sales.big ORDER BY id")
    assert answer.result.data_array == [["1"], ["2"], ["9"]]


def test_row_limit_truncates(w: WorkspaceClient, warehouse: str):
    answer = run(w, warehouse, "SELECT id FROM main.sales.orders", row_limit=2)
    assert answer.manifest.truncated and answer.result.row_count == 2


def test_a_stopped_warehouse_starts_and_the_statement_waits(
        workspace: LocalWorkspace, w: WorkspaceClient, warehouse: str):
    w.warehouses.stop_and_wait(warehouse)
    workspace.configure(sql_warehouse_start_seconds=0.5)
    pending = run(w, warehouse, "SELECT 1", wait_timeout="0s")
    assert pending.status.state == sql.StatementState.PENDING
    assert w.warehouses.get(warehouse).state == sql.State.STARTING
    time.sleep(0.6)
    done = w.statement_execution.get_statement(pending.statement_id)
    assert done.status.state == sql.StatementState.SUCCEEDED
    assert w.statement_execution.get_statement_result_chunk_n(
        pending.statement_id, 0).data_array == [["1"]]


def test_cancel(workspace: LocalWorkspace, w: WorkspaceClient, warehouse: str):
    w.warehouses.stop_and_wait(warehouse)
    workspace.configure(sql_warehouse_start_seconds=30)
    pending = run(w, warehouse, "SELECT 1", wait_timeout="0s")
    w.statement_execution.cancel_execution(pending.statement_id)
    assert w.statement_execution.get_statement(pending.statement_id).status.state == \
        sql.StatementState.CANCELED


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({"wait_timeout": "3s"}, InvalidParameterValue, "wait_timeout must be 0s or between"),
    ({"format": "CSV"}, InvalidParameterValue, "JSON_ARRAY format only"),
    ({"warehouse_id": "0123456789abcdef"}, NotFound, "does not exist"),
])
def test_refused_requests(w: WorkspaceClient, warehouse: str, fields, error, message):
    with pytest.raises(error, match=message):
        w.api_client.do("POST", "/api/2.0/sql/statements",
                        body={"statement": "SELECT 1", "warehouse_id": warehouse, **fields})
