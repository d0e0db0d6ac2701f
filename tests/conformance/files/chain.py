"""A tiny LangChain runnable logged from code by the conformance suite."""

import mlflow
from langchain_core.runnables import RunnableLambda

mlflow.models.set_model(RunnableLambda(lambda question: f"echo: {question}"))
