"""The SQL connector's Thrift protocol on a warehouse's http path, through databricks-sql-connector
itself over HTTPS (services/sql_thrift.py, sql_catalog.py).

Sources: databricks-sql-connector 4.9 `backend/thrift_backend.py` (OpenSession asks V7 and
sends native parameters only to a server at V8, `session.py`; direct results; column-based
row sets read by `utils.py`), `auth/retry.py` `DatabricksRetryPolicy` (429/503 retried with
Retry-After, 404 never); dbt-databricks #893 and trinodb/trino #29376 (a stopped warehouse
answers 503 TEMPORARILY_UNAVAILABLE while it starts, then serves); PostHog/posthog #73095
(a mistyped or deleted warehouse in the http path is RESOURCE_DOES_NOT_EXIST);
databricks-sqlalchemy 2.0 `base.py` (reflection sends SHOW TABLES, SHOW VIEWS, DESCRIBE TABLE
EXTENDED and GetColumns, and matches TABLE_OR_VIEW_NOT_FOUND).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import sql as sdk_sql

from provisioner.local import LocalWorkspace

dbsql = pytest.importorskip("databricks.sql")

ORDERS = [{"id": 1, "customer": "ann", "amount": 12.5, "paid": True},
          {"id": 2, "customer": None, "amount": 7.0, "paid": False},
          {"id": 3, "customer": "ann", "amount": 3.25, "paid": True}]


@pytest.fixture
def workspace(directory: Path, fast) -> Iterator[LocalWorkspace]:
    with LocalWorkspace(directory, settings=fast, token="t", tls=True) as ws:
        yield ws


@pytest.fixture
def w(workspace: LocalWorkspace, connect, monkeypatch) -> WorkspaceClient:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(workspace.certificate))
    client = connect(workspace.url, token="t")
    client.api_client.do("PUT", "/_local/tables/main.sales.orders", body={"rows": ORDERS})
    return client


@pytest.fixture
def warehouse(w: WorkspaceClient) -> sdk_sql.GetWarehouseResponse:
    return w.warehouses.create_and_wait(name="wh", cluster_size="Small")


def connect_sql(workspace: LocalWorkspace, http_path: str, token: str = "t", **options):
    """The connector as a client configures it for this host; its telemetry is off, since
    only the Thrift calls go to the served port (its feature flags go to port 443)."""
    return dbsql.connect(server_hostname="127.0.0.1", _port=urlsplit(workspace.url).port,
                         http_path=http_path, access_token=token,
                         _tls_trusted_ca_file=str(workspace.certificate),
                         enable_telemetry=False, _retry_stop_after_attempts_count=3,
                         **options)


def test_a_query_answers_typed_columns_with_nulls(workspace, warehouse):
    with connect_sql(workspace, warehouse.odbc_params.path, catalog="main",
                     schema="sales") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, customer, amount, paid FROM orders WHERE amount > :low "
                       "ORDER BY id", {"low": 5})
        assert [(d[0], d[1]) for d in cursor.description] == \
            [("id", "bigint"), ("customer", "string"), ("amount", "double"), ("paid", "bigint")]
        assert [tuple(r) for r in cursor.fetchall()] == [(1, "ann", 12.5, 1), (2, None, 7.0, 0)]


def test_rows_past_the_first_page_are_fetched(workspace, warehouse):
    with connect_sql(workspace, warehouse.odbc_params.path) as connection, \
            connection.cursor(arraysize=1) as cursor:
        cursor.execute("SELECT id FROM main.sales.orders ORDER BY id")
        assert [r[0] for r in cursor.fetchall()] == [1, 2, 3]
    calls = [e for e in workspace.request_log() if e["path"] == warehouse.odbc_params.path]
    assert len(calls) >= 5  # open, execute (first row), two fetches, close...


def test_metadata_calls_and_catalog_commands(workspace, warehouse):
    with connect_sql(workspace, warehouse.odbc_params.path, catalog="main",
                     schema="sales") as connection, connection.cursor() as cursor:
        assert [tuple(r) for r in cursor.catalogs().fetchall()] == [("main",)]
        assert [tuple(r) for r in cursor.schemas(catalog_name="main").fetchall()] == \
            [("sales", "main")]
        assert [r.TABLE_NAME for r in cursor.tables(schema_name="sal%").fetchall()] == \
            ["orders"]
        columns = cursor.columns(schema_name="sales", table_name="orders").fetchall()
        assert [(c.COLUMN_NAME, c.TYPE_NAME, c.ORDINAL_POSITION) for c in columns] == \
            [("id", "BIGINT", 0), ("customer", "STRING", 1), ("amount", "DOUBLE", 2),
             ("paid", "BOOLEAN", 3)]
        cursor.execute("SHOW TABLES IN main.sales LIKE 'ord*'")
        assert [tuple(r) for r in cursor.fetchall()] == [("sales", "orders", False)]
        cursor.execute("DESCRIBE TABLE orders")
        assert [(r.col_name, r.data_type) for r in cursor.fetchall()][:2] == \
            [("id", "bigint"), ("customer", "string")]
        with pytest.raises(dbsql.exc.ServerOperationError, match="TABLE_OR_VIEW_NOT_FOUND"):
            cursor.execute("DESCRIBE TABLE EXTENDED `main`.`sales`.`missing`")


def test_an_unknown_warehouse_is_refused(workspace, warehouse):
    with pytest.raises(dbsql.exc.RequestError):
        connect_sql(workspace, "/sql/1.0/warehouses/0123456789abcdef")
    refused = workspace.request_log()[-1]
    assert (refused["path"], refused["status"]) == ("/sql/1.0/warehouses/0123456789abcdef", 404)
    assert len([e for e in workspace.request_log() if e["status"] == 404]) == 1  # not retried


def test_a_bad_token_is_refused(workspace, warehouse):
    with pytest.raises(dbsql.exc.RequestError):
        connect_sql(workspace, warehouse.odbc_params.path, token="wrong")
    assert workspace.request_log()[-1]["status"] == 401


def test_a_stopped_warehouse_starts_and_the_connector_waits(workspace, w, warehouse):
    w.warehouses.stop_and_wait(warehouse.id)
    workspace.configure(sql_warehouse_start_seconds=1)
    # The connector sleeps max(Retry-After, _retry_delay_max) before retrying a 503
    # (retry.py `sleep_for_retry`): 5 s is the least it accepts, 60 s its default.
    with connect_sql(workspace, warehouse.odbc_params.path, _retry_delay_max=5) as connection, \
            connection.cursor() as cursor:
        cursor.execute("SELECT count(*) AS n FROM main.sales.orders")
        assert cursor.fetchone().n == 3
    statuses = [e["status"] for e in workspace.request_log()
                if e["path"] == warehouse.odbc_params.path]
    assert statuses[0] == 503 and set(statuses[1:]) == {200}
    assert w.warehouses.get(warehouse.id).state == sdk_sql.State.RUNNING


def test_a_closed_session_is_an_invalid_handle(workspace, warehouse):
    connection = connect_sql(workspace, warehouse.odbc_params.path)
    try:
        cursor = connection.cursor()
        connection.session.backend.close_session(connection.session.session_id)
        with pytest.raises(dbsql.exc.DatabaseError, match="Invalid SessionHandle"):
            cursor.execute("SELECT 1")
    finally:  # closed here, not when collected (after this workspace has stopped)
        with contextlib.suppress(dbsql.exc.Error):
            connection.close()


def test_a_body_that_is_not_thrift_is_malformed(w: WorkspaceClient, warehouse):
    from databricks.sdk.errors import BadRequest

    with pytest.raises(BadRequest, match="not a TCLIService call"):
        w.api_client.do("POST", warehouse.odbc_params.path, body={"statement": "SELECT 1"})
