"""A small retrieval-augmented chain, logged with MLflow's models-from-code.

It runs offline: the prompt is filled from the question, and the "model" step answers from
the prompt alone, so logging and serving it need no network.
"""

import mlflow
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableLambda

prompt = PromptTemplate.from_template(
    "Answer the question using the product documentation.\nQuestion: {question}\nAnswer:"
)


def answer(prompt_value) -> str:
    question = prompt_value.to_string().split("Question:", 1)[1].split("\n", 1)[0].strip()
    return f"Here is what the documentation says about '{question}'."


chain = (
    RunnableLambda(lambda row: {"question": row["question"] if isinstance(row, dict) else row})
    | prompt
    | RunnableLambda(answer)
    | StrOutputParser()
)

mlflow.models.set_model(chain)
