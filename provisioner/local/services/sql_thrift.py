"""The SQL connector's protocol on a warehouse's http path (`POST /sql/1.0/warehouses/{id}`):
HiveServer2's TCLIService in Thrift's binary protocol over HTTP, as databricks-sql-connector
speaks it (and so SQLAlchemy's `databricks://` dialect and LangChain's
`SQLDatabase.from_databricks`). The connector's own generated TCLIService code reads the calls
and writes the answers; it is imported on the first such request (the `sql` extra).

The warehouse is checked before a call is read, as the service's front end does: an unknown
id is 404 RESOURCE_DOES_NOT_EXIST, and a stopped warehouse starts and answers 503
TEMPORARILY_UNAVAILABLE with Retry-After until it runs, which the connector retries
(databricks-sql-connector `DatabricksRetryPolicy`: 429 and 503 are retried for every call).
Sessions and operations are kept in the store; a statement runs at once on the SQL engine and
its rows are answered column-based (`COLUMN_BASED_SET`), which the connector reads with or
without pyarrow: no Arrow batches, LZ4 or cloud fetch links.
"""

from __future__ import annotations

import functools
import math
import secrets
from types import SimpleNamespace
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Response, Routes, malformed
from provisioner.local.services import sql_catalog, sql_warehouses
from provisioner.local.services.sql_engine import execute
from provisioner.local.services.sql_results import (
    DEFAULT_NAMESPACE,
    Result,
    SqlError,
    typed_parameters,
)
from provisioner.local.services.vector_rows import TABLES
from provisioner.local.store import Tx

routes = Routes()

SESSIONS = "sql_session"
OPERATIONS = "sql_operation"
INSTALL_HINT = ("The SQL connector's protocol in the local workspace needs the sql extra: "
                "pip install 'databricks-ai-provisioner[sql]'")
_TYPE_IDS = {"LONG": "BIGINT_TYPE", "INT": "INT_TYPE", "DOUBLE": "DOUBLE_TYPE",
             "BOOLEAN": "BOOLEAN_TYPE", "STRING": "STRING_TYPE"}
_COLUMNS = {"LONG": ("i64Val", "TI64Column", 0), "INT": ("i32Val", "TI32Column", 0),
            "DOUBLE": ("doubleVal", "TDoubleColumn", 0.0),
            "BOOLEAN": ("boolVal", "TBoolColumn", False),
            "STRING": ("stringVal", "TStringColumn", "")}
"""TColumn field, its column class and the placeholder a null holds, by result type."""


@functools.cache
def _thrift() -> SimpleNamespace:
    try:
        from databricks.sql.thrift_api.TCLIService import TCLIService, ttypes
        from thrift.protocol.TBinaryProtocol import TBinaryProtocol
        from thrift.Thrift import TException
        from thrift.transport.TTransport import TMemoryBuffer
    except ImportError:
        raise ApiError(501, "NOT_IMPLEMENTED", INSTALL_HINT) from None
    return SimpleNamespace(service=TCLIService, types=ttypes, protocol=TBinaryProtocol,
                           buffer=TMemoryBuffer, error=TException)


@routes.post(sql_warehouses.HTTP_PATH + "{id}")
def call(ctx: Context, req: Request) -> Response:
    """One TCLIService call: the warehouse must exist and be running."""
    thrift = _thrift()
    warehouse_id = req.params["id"]
    with ctx.store.write() as tx:
        warehouse = tx.get(sql_warehouses.KIND, warehouse_id)
        if warehouse is not None:
            sql_warehouses.touch(tx, warehouse, ctx)  # a stopped warehouse starts
    if warehouse is None:
        message = f"RESOURCE_DOES_NOT_EXIST: SQL warehouse {warehouse_id} does not exist."
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", message,
                       headers={"x-databricks-reason-phrase": message})
    if sql_warehouses.state(warehouse, ctx.now) == "STARTING":
        message = (f"TEMPORARILY_UNAVAILABLE: SQL warehouse {warehouse_id} is starting; "
                   "retry when it is running.")
        wait = max(1, math.ceil(warehouse["ready_at"] - ctx.now))
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE", message,
                       headers={"Retry-After": str(wait), "x-thriftserver-error-message": message})
    answer = thrift.buffer()
    with ctx.store.write() as tx:
        processor = thrift.service.Processor(_Warehouse(thrift.types, tx, warehouse_id))
        try:
            processor.process(thrift.protocol(thrift.buffer(req.body)), thrift.protocol(answer))
        except (thrift.error, EOFError) as e:
            raise malformed(f"not a TCLIService call in Thrift's binary protocol: {e}") from None
    return Response(raw=answer.getvalue(), content_type="application/x-thrift")


class _Refused(Exception):
    """A call the service answers with an error status (an unknown or closed handle)."""

    def __init__(self, message: str, invalid_handle: bool = True):
        super().__init__(message)
        self.invalid_handle = invalid_handle


class _Warehouse:
    """TCLIService's calls over one store transaction. Each answers its response with a
    status; a method this class does not define is answered ERROR_STATUS (`__getattr__`)."""

    PROTOCOL = "SPARK_CLI_SERVICE_PROTOCOL_V8"
    """What a SQL warehouse answers whatever the client asks: the connector asks for V7 yet
    sends parameters natively only to a server at V8 or later (session.py
    `server_parameterized_queries_enabled`), which warehouses are."""

    def __init__(self, types: Any, tx: Tx, warehouse_id: str):
        self.t = types
        self.tx = tx
        self.warehouse_id = warehouse_id

    def __getattr__(self, name: str) -> Any:
        response = getattr(self.t, f"T{name}Resp", None)
        if response is None or not name[:1].isupper():
            raise AttributeError(name)
        return lambda req: response(status=self._status(
            self.t.TStatusCode.ERROR_STATUS, f"{name} is not served by the local workspace."))

    # -- sessions --------------------------------------------------------------------------

    def OpenSession(self, req: Any) -> Any:  # noqa: N802 (TCLIService's names)
        namespace = req.initialNamespace
        catalog = (namespace and namespace.catalogName) or DEFAULT_NAMESPACE[0]
        schema = (namespace and namespace.schemaName) or DEFAULT_NAMESPACE[1]
        handle = self._handle()
        self.tx.put(SESSIONS, handle.guid.hex(), {
            "id": handle.guid.hex(), "secret": handle.secret.hex(),
            "warehouse_id": self.warehouse_id, "catalog": catalog, "schema": schema})
        version = getattr(self.t.TProtocolVersion, self.PROTOCOL)
        return self.t.TOpenSessionResp(
            status=self._status(), serverProtocolVersion=version,
            sessionHandle=self.t.TSessionHandle(sessionId=handle, serverProtocolVersion=version),
            initialNamespace=self.t.TNamespace(catalogName=catalog, schemaName=schema),
            canUseMultipleCatalogs=True, configuration={})

    def CloseSession(self, req: Any) -> Any:  # noqa: N802
        return self._answer(self.t.TCloseSessionResp, self._close_session, req)

    def _close_session(self, req: Any) -> dict[str, Any]:
        session = self._session(req.sessionHandle)
        for operation in self.tx.list(OPERATIONS):
            if operation["session"] == session["id"]:
                self.tx.delete(OPERATIONS, operation["id"])
        self.tx.delete(SESSIONS, session["id"])
        return {}

    # -- statements and metadata calls -----------------------------------------------------

    def ExecuteStatement(self, req: Any) -> Any:  # noqa: N802
        def run(session: dict[str, Any]) -> Result:
            result = execute(self.tx, req.statement, _parameters(req.parameters or []),
                             session["catalog"], session["schema"])
            limit = req.resultRowLimit
            return result if not limit else Result(result.columns, result.rows[:limit])

        return self._operate(self.t.TExecuteStatementResp, "EXECUTE_STATEMENT", req, run)

    def GetCatalogs(self, req: Any) -> Any:  # noqa: N802
        return self._operate(self.t.TGetCatalogsResp, "GET_CATALOGS", req,
                             lambda s: sql_catalog.catalogs(self._tables(), None))

    def GetSchemas(self, req: Any) -> Any:  # noqa: N802
        return self._operate(self.t.TGetSchemasResp, "GET_SCHEMAS", req, lambda s: (
            sql_catalog.schemas(self._tables(), req.catalogName, req.schemaName)))

    def GetTables(self, req: Any) -> Any:  # noqa: N802
        return self._operate(self.t.TGetTablesResp, "GET_TABLES", req, lambda s: (
            sql_catalog.table_list(self._tables(), req.catalogName, req.schemaName,
                                   req.tableName, req.tableTypes)))

    def GetColumns(self, req: Any) -> Any:  # noqa: N802
        return self._operate(self.t.TGetColumnsResp, "GET_COLUMNS", req, lambda s: (
            sql_catalog.column_list(self._tables(), req.catalogName, req.schemaName,
                                    req.tableName, req.columnName)))

    # -- operations ------------------------------------------------------------------------

    def GetOperationStatus(self, req: Any) -> Any:  # noqa: N802
        return self._answer(self.t.TGetOperationStatusResp, lambda r: self._state(
            self._operation(r.operationHandle)), req)

    def GetResultSetMetadata(self, req: Any) -> Any:  # noqa: N802
        return self._answer(self.t.TGetResultSetMetadataResp, lambda r: self._metadata(
            self._finished(r.operationHandle)), req)

    def FetchResults(self, req: Any) -> Any:  # noqa: N802
        def fetch(r: Any) -> dict[str, Any]:
            operation = self._finished(r.operationHandle)
            if r.orientation == self.t.TFetchOrientation.FETCH_FIRST:
                operation["offset"] = 0
            elif r.orientation != self.t.TFetchOrientation.FETCH_NEXT:
                raise _Refused("Only FETCH_NEXT and FETCH_FIRST are supported.", False)
            rows, more = self._page(operation, r.maxRows)
            return {"hasMoreRows": more, "results": rows,
                    "resultSetMetadata": self.t.TGetResultSetMetadataResp(
                        status=self._status(), **self._metadata(operation))}

        return self._answer(self.t.TFetchResultsResp, fetch, req)

    def CancelOperation(self, req: Any) -> Any:  # noqa: N802
        def cancel(r: Any) -> dict[str, Any]:
            operation = self._operation(r.operationHandle)
            if operation["state"] == "RUNNING_STATE":  # statements here finish as they run
                operation["state"] = "CANCELED_STATE"
                self.tx.put(OPERATIONS, operation["id"], operation)
            return {}

        return self._answer(self.t.TCancelOperationResp, cancel, req)

    def CloseOperation(self, req: Any) -> Any:  # noqa: N802
        def close(r: Any) -> dict[str, Any]:
            self.tx.delete(OPERATIONS, self._operation(r.operationHandle)["id"])
            return {}

        return self._answer(self.t.TCloseOperationResp, close, req)

    # -- helpers ---------------------------------------------------------------------------

    def _operate(self, response: Any, kind: str, req: Any, run: Any) -> Any:
        """Run a statement or metadata call as a new operation of the request's session; with
        `getDirectResults` its status, metadata and first rows come in the same answer."""
        try:
            session = self._session(req.sessionHandle)
        except _Refused as e:
            return response(status=self._refusal(e))
        handle = self._handle()
        operation: dict[str, Any] = {"id": handle.guid.hex(), "secret": handle.secret.hex(),
                                     "session": session["id"], "offset": 0}
        try:
            result = run(session)
            operation.update(state="FINISHED_STATE", columns=result.columns, rows=result.rows)
        except SqlError as e:
            operation.update(state="ERROR_STATE", error=str(e))
        self.tx.put(OPERATIONS, operation["id"], operation)
        direct = None
        if req.getDirectResults is not None:
            finished = operation["state"] == "FINISHED_STATE"
            direct = self.t.TSparkDirectResults(operationStatus=self.t.TGetOperationStatusResp(
                status=self._status(), **self._state(operation)))
            if finished:
                rows, more = self._page(operation, req.getDirectResults.maxRows)
                direct.resultSetMetadata = self.t.TGetResultSetMetadataResp(
                    status=self._status(), **self._metadata(operation))
                direct.resultSet = self.t.TFetchResultsResp(
                    status=self._status(), hasMoreRows=more, results=rows)
        return response(status=self._status(), directResults=direct,
                        operationHandle=self.t.TOperationHandle(
                            operationId=handle, hasResultSet=True,
                            operationType=getattr(self.t.TOperationType, kind)))

    def _answer(self, response: Any, work: Any, req: Any) -> Any:
        try:
            return response(status=self._status(), **work(req))
        except _Refused as e:
            return response(status=self._refusal(e))

    def _state(self, operation: dict[str, Any]) -> dict[str, Any]:
        state = {"operationState": getattr(self.t.TOperationState, operation["state"]),
                 "hasResultSet": "columns" in operation}
        if "error" in operation:
            state.update(errorMessage=operation["error"], displayMessage=operation["error"],
                         sqlState=_sql_state(operation["error"]))
        return state

    def _metadata(self, operation: dict[str, Any]) -> dict[str, Any]:
        t = self.t
        schema = t.TTableSchema(columns=[t.TColumnDesc(
            columnName=c["name"], position=c["position"] + 1,
            typeDesc=t.TTypeDesc(types=[t.TTypeEntry(primitiveEntry=t.TPrimitiveTypeEntry(
                type=getattr(t.TTypeId, _TYPE_IDS[c["type_name"]])))]))
            for c in operation["columns"]])
        return {"schema": schema, "resultFormat": t.TSparkRowSetType.COLUMN_BASED_SET,
                "lz4Compressed": False, "isStagingOperation": False}

    def _page(self, operation: dict[str, Any], max_rows: int | None) -> tuple[Any, bool]:
        """The next `max_rows` rows from the operation's cursor, as typed columns."""
        start = operation["offset"]
        end = len(operation["rows"]) if not max_rows else start + max_rows
        rows = operation["rows"][start:end]
        operation["offset"] = start + len(rows)
        self.tx.put(OPERATIONS, operation["id"], operation)
        columns = [self._column(c["type_name"], [row[c["position"]] for row in rows])
                   for c in operation["columns"]]
        more = operation["offset"] < len(operation["rows"])
        return self.t.TRowSet(startRowOffset=start, rows=[], columns=columns), more

    def _column(self, type_name: str, values: list[Any]) -> Any:
        field, cls, placeholder = _COLUMNS[type_name]
        nulls = bytearray((len(values) + 7) // 8)
        for i, value in enumerate(values):
            if value is None:
                nulls[i >> 3] |= 1 << (i & 7)
        cast = {"i64Val": int, "i32Val": int, "doubleVal": float, "boolVal": bool,
                "stringVal": str}[field]
        column = getattr(self.t, cls)(
            values=[placeholder if v is None else cast(v) for v in values], nulls=bytes(nulls))
        return self.t.TColumn(**{field: column})

    def _session(self, handle: Any) -> dict[str, Any]:
        session = handle and handle.sessionId and self.tx.get(SESSIONS, handle.sessionId.guid.hex())
        if not session or session["warehouse_id"] != self.warehouse_id or \
                bytes.fromhex(session["secret"]) != handle.sessionId.secret:
            raise _Refused("Invalid SessionHandle: the session does not exist or was closed.")
        return session

    def _operation(self, handle: Any) -> dict[str, Any]:
        operation = handle and handle.operationId and self.tx.get(
            OPERATIONS, handle.operationId.guid.hex())
        if not operation or bytes.fromhex(operation["secret"]) != handle.operationId.secret:
            raise _Refused("Invalid OperationHandle: the operation does not exist or was "
                           "closed.")
        return operation

    def _finished(self, handle: Any) -> dict[str, Any]:
        operation = self._operation(handle)
        if operation["state"] != "FINISHED_STATE":
            raise _Refused(f"The operation is in {operation['state']}: it has no result set.",
                           False)
        return operation

    def _tables(self) -> sql_catalog.Tables:
        return {t["name"]: t["rows"] for t in self.tx.list(TABLES)}

    def _handle(self) -> Any:
        return self.t.THandleIdentifier(guid=secrets.token_bytes(16),
                                        secret=secrets.token_bytes(16))

    def _status(self, code: int | None = None, message: str | None = None) -> Any:
        return self.t.TStatus(statusCode=self.t.TStatusCode.SUCCESS_STATUS if code is None
                              else code, errorMessage=message)

    def _refusal(self, refused: _Refused) -> Any:
        code = self.t.TStatusCode.INVALID_HANDLE_STATUS if refused.invalid_handle \
            else self.t.TStatusCode.ERROR_STATUS
        return self._status(code, str(refused))


def _parameters(parameters: list[Any]) -> dict[str, Any] | list[Any]:
    """Named markers bind by name; unnamed (`?`) by ordinal."""
    typed = typed_parameters([(p.name or str(p.ordinal), p.value and p.value.stringValue,
                               p.type or "") for p in parameters])
    if all(p.name for p in parameters):
        return typed
    return [typed[str(p.ordinal)] for p in sorted(parameters, key=lambda p: p.ordinal or 0)]


def _sql_state(message: str) -> str | None:
    return "42P01" if "TABLE_OR_VIEW_NOT_FOUND" in message else None
