"""ChatDatabricks against the `chat` endpoint that stacks/rag-assistant provisions."""

from workspace import served

with served():
    from databricks_langchain import ChatDatabricks

    chat_model = ChatDatabricks(endpoint="chat", temperature=0.1, max_tokens=250)
    print(chat_model.invoke("How to use Databricks?").content)
