"""The tuning of databricks-sdk's private requests session relies on where the SDK keeps it:
it applies only to releases where that was verified, and anything else keeps the SDK's own
session untouched."""

from __future__ import annotations

from databricks.sdk.version import __version__ as sdk_version

from provisioner.local import LocalWorkspace
from provisioner.workspace.client import WorkspaceAuth, connect, sdk_layout_verified


def test_the_installed_sdk_is_a_release_whose_session_layout_was_verified():
    assert sdk_layout_verified(sdk_version), (
        f"databricks-sdk {sdk_version}: read its _base_client.py and widen "
        "SESSION_LAYOUT_VERIFIED in provisioner/workspace/client.py if `_api_client._session` "
        "is still its requests session")


def test_other_releases_are_left_alone():
    assert not sdk_layout_verified("0.155.9")
    assert not sdk_layout_verified("99.0.0")
    assert not sdk_layout_verified("garbage")


def test_a_verified_sdk_session_reads_the_environment_once_and_pools_http(tmp_path):
    with LocalWorkspace(tmp_path / "local") as workspace:
        client = connect(WorkspaceAuth(host=workspace.url, token="local"), parallelism=32)
        session = client.api_client._api_client._session
        assert session.trust_env is False
        assert session.get_adapter("http://x") is session.get_adapter("https://x")
