"""A SQL agent's tools over `SQLDatabase.from_databricks` on the warehouse that
stacks/sql-agent declares, with ChatDatabricks answering from what they return.

`SQLDatabase.from_databricks(catalog, schema, host, api_token, warehouse_id)` is called as
against any workspace: the SQL connector's Thrift protocol on the warehouse's http path, over
HTTPS on port 443; only the host, the token and the CA (SSL_CERT_FILE) point at the local
workspace. The toolkit's tools list the tables and describe them (SQLAlchemy reflection
through the databricks dialect) and run the query. The query is the example's own: the local
workspace's pay-per-token endpoints answer deterministically and make no tool calls, so the
model is asked to answer from the rows (`create_sql_agent` would let it choose the calls).
"""

import os
from urllib.parse import urlsplit

from workspace import SQL_AGENT, put_table, served

ORDERS = [{"id": 1, "customer": "ann", "amount": 12.5},
          {"id": 2, "customer": "bob", "amount": 7.0},
          {"id": 3, "customer": "ann", "amount": 3.25}]
QUESTION = "Which customer spent the most?"
QUERY = "SELECT customer, sum(amount) AS total FROM orders GROUP BY customer ORDER BY total DESC"

with served(SQL_AGENT, tls=True) as url:
    from databricks.sdk import WorkspaceClient
    from databricks_langchain import ChatDatabricks
    from langchain_community.agent_toolkits import SQLDatabaseToolkit
    from langchain_community.utilities import SQLDatabase
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    put_table(url, "main.sales.orders", ORDERS)
    warehouse = next(wh for wh in WorkspaceClient().warehouses.list() if wh.name == "agent-sql")
    db = SQLDatabase.from_databricks(catalog="main", schema="sales",
                                     host=urlsplit(url).hostname,
                                     api_token=os.environ["DATABRICKS_TOKEN"],
                                     warehouse_id=warehouse.id)
    llm = ChatDatabricks(endpoint="databricks-meta-llama-3-3-70b-instruct")
    tools = {tool.name: tool for tool in SQLDatabaseToolkit(db=db, llm=llm).get_tools()}

    tables = tools["sql_db_list_tables"].invoke("")
    schema = tools["sql_db_schema"].invoke(tables)
    rows = tools["sql_db_query"].invoke(QUERY)
    prompt = ChatPromptTemplate.from_messages([
        ("system", "Answer the question from the SQL result, in one sentence."),
        ("user", "{question}\nSQL: {query}\nResult: {rows}")])
    answer = (prompt | llm | StrOutputParser()).invoke(
        {"question": QUESTION, "query": QUERY, "rows": rows})
    print(db.dialect, tables)
    print(" ".join(line.strip() for line in schema.splitlines() if line.strip()
                   .startswith(("id ", "customer ", "amount "))))
    print(rows)
    print(answer)
