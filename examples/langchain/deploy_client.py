"""MLflow's deploy client: the chain served by the `rag-assistant` endpoint, and `chat`."""

from workspace import served

with served():
    from mlflow.deployments import get_deploy_client

    client = get_deploy_client("databricks")
    print(client.predict(endpoint="rag-assistant",
                         inputs={"dataframe_records": [{"question": "What is a lakehouse?"}]}))
    print(client.predict(endpoint="chat", inputs={
        "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 32}))
