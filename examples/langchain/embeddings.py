"""DatabricksEmbeddings on the pay-per-token `databricks-bge-large-en` endpoint."""

from workspace import served

with served():
    from databricks_langchain import DatabricksEmbeddings

    embeddings = DatabricksEmbeddings(endpoint="databricks-bge-large-en")
    vector = embeddings.embed_query("hello")
    print(len(vector), vector[:3])
