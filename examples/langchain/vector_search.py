"""DatabricksVectorSearch over the Delta Sync index that stacks/rag-assistant provisions."""

from workspace import served

with served():
    from databricks_langchain import DatabricksVectorSearch

    vector_store = DatabricksVectorSearch(index_name="main.rag.docs_index")
    for doc in vector_store.similarity_search("What is Databricks?", k=2):
        print(doc.metadata.get("id"), doc.page_content)
