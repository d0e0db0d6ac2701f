"""SQL on the warehouse that stacks/sql-agent declares, through the Statement Execution API
(databricks-sdk), over a table of the local workspace. sql_agent.py reaches the same
warehouse through the SQL connector (`SQLDatabase.from_databricks`)."""

from workspace import SQL_AGENT, put_table, served

ORDERS = [{"id": 1, "customer": "ann", "amount": 12.5},
          {"id": 2, "customer": "bob", "amount": 7.0},
          {"id": 3, "customer": "ann", "amount": 3.25}]

with served(SQL_AGENT) as url:
    from databricks.sdk import WorkspaceClient

    put_table(url, "main.sales.orders", ORDERS)
    w = WorkspaceClient()  # DATABRICKS_HOST and DATABRICKS_TOKEN
    warehouse = next(wh for wh in w.warehouses.list() if wh.name == "agent-sql")
    answer = w.statement_execution.execute_statement(
        "SELECT customer, sum(amount) AS total FROM orders GROUP BY customer ORDER BY total DESC",
        warehouse.id, catalog="main", schema="sales")
    print(warehouse.odbc_params.path)
    print([c.name for c in answer.manifest.schema.columns], answer.result.data_array)
