"""Scenarios modelled on the Databricks CLI's acceptance tests for registered models
(databricks/cli `acceptance/bundle/resources/registered_models/basic/` and
`aliases_converge/`, commit 7bbe285): each step converges in one apply with the CLI's action.

Our kind logs a model from code as well (the CLI's registers an empty model), so the stack
carries `code` and a signature; the catalog and schema are parts of the three-part name, so
the CLI's catalog and schema changes are renames here, recreated as the CLI recreates them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from databricks.sdk.errors import NotFound
from support.harness import sdk_client, served_workspace, writes

pytest.importorskip("mlflow", reason="needs the provisioner[models] extra")

SERVED = ("-t", "served")
CHAIN = Path(__file__).parents[1] / "conformance" / "files" / "chain.py"
MODELS = "/api/2.1/unity-catalog/models"
VERSION_WRITES = ("/model-versions", "/create-model-version", "/finalize")

STACK = """\
stack: acceptance
resources:
  registered_models:
    my_registered_model:
      name: {name}
      flavor: langchain
      code: chain.py
      signature: {{inputs: [{{type: string}}], outputs: [{{type: string}}]}}
      description: {comment}
      aliases: [champion]
      lifecycle: {{delete_versions: true}}
targets:
  served: {{}}
"""


def _actions(harness) -> dict[str, str]:
    return {address: change["action"] for address, change in harness.changes(*SERVED).items()}


def _model(local, name: str) -> dict:
    return sdk_client(local).api_client.do("GET", f"{MODELS}/{name}",
                                           query={"include_aliases": "true"})


def test_basic_comment_updates_and_names_recreate(harness, tmp_path, monkeypatch):
    """registered_models/basic: create; a new comment is an update (no new model, no new
    version); a new name recreates the model, and so does a new catalog and schema
    (one step here: both are parts of the name). After each apply the plan
    is empty (aliases_converge: the alias set on create never drifts)."""
    harness.root.mkdir(parents=True, exist_ok=True)
    shutil.copy(CHAIN, harness.root / "chain.py")
    address = "registered_models.my_registered_model"

    def step(name: str, comment: str, action: str) -> list[tuple[str, str]]:
        harness.write(STACK.format(name=name, comment=comment))
        assert _actions(harness) == {address: action}
        seen = len(local.request_log())
        harness.apply(*SERVED)
        assert harness.changes(*SERVED) == {}
        model = _model(local, name)
        assert model["comment"] == comment
        return writes(local, seen)

    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        step("main.default.my_registered_model", "original comment", "create")

        sent = step("main.default.my_registered_model", "updated comment", "update")
        # The CLI PATCHes .../unity-catalog/models/<name>; this kind writes through MLflow's
        # Unity Catalog registry API, the same model's comment.
        assert ("PATCH", "/api/2.0/mlflow/unity-catalog/registered-models/update") in sent
        assert not [p for _, p in sent if p.endswith(VERSION_WRITES)], sent

        step("main.default.my_registered_model_updated", "updated comment", "replace")
        sent = step("other.myschema.my_registered_model_updated", "updated comment", "replace")
        assert ("DELETE", "/api/2.0/mlflow/unity-catalog/registered-models/delete") in sent
        with pytest.raises(NotFound):
            _model(local, "main.default.my_registered_model_updated")
        assert [a["alias_name"] for a in _model(
            local, "other.myschema.my_registered_model_updated")["aliases"]] == ["champion"]
