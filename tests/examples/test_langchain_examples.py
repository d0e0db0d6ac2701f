"""The LangChain examples run unchanged against what `provisioner apply` made, offline: their
answers have the right shapes and are the same from one run to the next."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "langchain"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("examples") / "rag-assistant"
    shutil.copytree(ROOT / "stacks" / "rag-assistant", copy,
                    ignore=shutil.ignore_patterns(".provisioner"))
    return copy


@pytest.fixture(scope="module")
def sql_stack(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("examples") / "sql-agent"
    shutil.copytree(ROOT / "stacks" / "sql-agent", copy,
                    ignore=shutil.ignore_patterns(".provisioner"))
    return copy


LANGCHAIN_PYTHON = os.environ.get("LANGCHAIN_PYTHON")
"""An interpreter with examples/langchain/requirements.lock installed (.ci/run makes one)."""
needs_langchain = pytest.mark.skipif(
    not LANGCHAIN_PYTHON, reason="set LANGCHAIN_PYTHON to a venv with databricks-langchain")


def run(example: str, stack: Path, python: str = sys.executable, *,
        variable: str = "EXAMPLE_STACK", **env: str) -> list[str]:
    cli = f"{sys.executable} -m provisioner"
    result = subprocess.run([python, str(EXAMPLES / example)], capture_output=True,
                            text=True, cwd=EXAMPLES, timeout=600,
                            env={**os.environ, variable: str(stack), "PROVISIONER": cli, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()


def test_the_deploy_client_runs_the_served_chain_and_chats(stack):
    pytest.importorskip("mlflow")
    lines = run("deploy_client.py", stack)
    assert "What is a lakehouse?" in lines[0]  # the chain answered from its prompt
    assert "'object': 'chat.completion'" in lines[1] and "Hello!" in lines[1]


@needs_langchain
def test_chat_databricks_replies(stack):
    first, again = (run("chat.py", stack, LANGCHAIN_PYTHON) for _ in range(2))
    assert first == again and "How to use Databricks?" in "\n".join(first)


@needs_langchain
def test_embeddings_have_the_endpoint_dimension(stack):
    first, again = (run("embeddings.py", stack, LANGCHAIN_PYTHON) for _ in range(2))
    assert first == again and first[0].split()[0] == "1024"


@needs_langchain
def test_vector_search_returns_the_nearest_documents(stack):
    lines = [line for line in run("vector_search.py", stack, LANGCHAIN_PYTHON)
             if not line.startswith("[NOTICE]")]  # the vector search client's own banner
    assert len(lines) == 2
    assert lines[0].split()[0] == "1"  # "Databricks is a data intelligence platform…"


def test_sql_runs_on_the_stacks_warehouse(sql_stack):
    pytest.importorskip("mlflow")  # the stack's experiment needs the local MLflow tracking
    lines = run("sql_statements.py", sql_stack, variable="EXAMPLE_SQL_STACK")
    assert lines[0].startswith("/sql/1.0/warehouses/")
    assert lines[1] == "['customer', 'total'] [['ann', '15.75'], ['bob', '7.0']]"


@needs_langchain
def test_the_chain_is_traced_into_the_stacks_experiment(sql_stack):
    lines = run("traced_chain.py", sql_stack, LANGCHAIN_PYTHON, variable="EXAMPLE_SQL_STACK")
    assert "What does a SQL warehouse do?" in lines[0]  # the pay-per-token endpoint's echo
    count, state, *spans = lines[-1].split(" ", 2)
    assert count == "1" and state == "OK"
    assert "ChatDatabricks" in spans[0] and "StrOutputParser" in spans[0]


@needs_langchain
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="serves HTTPS on port 443, as a workspace is (root only)")
def test_the_sql_agent_answers_from_the_stacks_warehouse(sql_stack):
    """SQLDatabase.from_databricks with a host name, a token and a warehouse id (and the CA):
    the SQLAlchemy dialect drops a URL's port, so the workspace is served on port 443 of a
    loopback address of this test's own."""
    address = ".".join(["127", *(str(random.randrange(1, 255)) for _ in range(3))])
    lines = run("sql_agent.py", sql_stack, LANGCHAIN_PYTHON, variable="EXAMPLE_SQL_STACK",
                EXAMPLE_TLS_ADDRESS=address)
    assert lines[0] == "databricks orders"
    assert lines[1] == "id BIGINT, customer STRING, amount DOUBLE"
    assert lines[2] == "[('ann', 15.75), ('bob', 7.0)]"
    answer = "\n".join(lines[3:])  # the pay-per-token endpoint's echo of the prompt
    assert "Which customer spent the most?" in answer and "('ann', 15.75)" in answer
