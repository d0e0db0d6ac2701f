"""A LangChain chain traced with `mlflow.langchain.autolog()` into the experiment that
stacks/sql-agent declares, then read back: tracking URI `databricks`, nothing set but
DATABRICKS_HOST and DATABRICKS_TOKEN."""

from workspace import SQL_AGENT, served

EXPERIMENT = "/Shared/sql-agent-traces"  # experiments.agent-traces in stacks/sql-agent

with served(SQL_AGENT):
    import mlflow
    from databricks_langchain import ChatDatabricks
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    mlflow.set_tracking_uri("databricks")
    experiment = mlflow.set_experiment(EXPERIMENT)  # exists: the stack made it
    mlflow.langchain.autolog()

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer in one sentence."), ("user", "{question}")])
    chain = prompt | ChatDatabricks(endpoint="databricks-meta-llama-3-3-70b-instruct") \
        | StrOutputParser()
    with mlflow.start_run(run_name="traced-chain"):
        print(chain.invoke({"question": "What does a SQL warehouse do?"}))
        mlflow.log_metric("questions", 1)

    mlflow.flush_trace_async_logging()
    traces = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
    print(len(traces), traces[0].info.state, [span.name for span in traces[0].data.spans])
