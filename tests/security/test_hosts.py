"""Which hosts a target may lead the operator's credentials to (docs/security.md): the refusals
are in the attack corpus; here, what the operator allows goes through, and the comparison is
the SDK's (scheme and host, case-insensitive, https by default)."""

from __future__ import annotations

import pytest

from provisioner.errors import UserError
from provisioner.workspace import hosts

MINE = "https://mine.cloud.databricks.com"


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "databrickscfg"
    path.write_text(f"[DEFAULT]\nhost = {MINE}\ntoken = t\n\n"
                    "[prod]\nhost = https://prod.cloud.databricks.com/\ntoken = p\n")
    return str(path)


def check(host=None, profile=None, allowed=(), **environ):
    hosts.check(host, profile, target="t", allowed=allowed, environ=environ)


def test_the_environment_host_is_allowed_however_it_is_written():
    check("MINE.cloud.databricks.com/", DATABRICKS_HOST=MINE)
    check(f"{MINE}/some/path", DATABRICKS_HOST=f"{MINE.upper()}/")


def test_a_scheme_or_port_that_differs_is_another_host():
    for other in ("http://mine.cloud.databricks.com", f"{MINE}:8443"):
        with pytest.raises(UserError):
            check(other, DATABRICKS_HOST=MINE)


def test_profiles_of_the_operators_config_file_are_allowed_when_the_environment_names_none(
        config):
    check(profile="prod", DATABRICKS_CONFIG_FILE=config)
    check("https://prod.cloud.databricks.com", DATABRICKS_CONFIG_FILE=config)
    with pytest.raises(UserError, match="not a host of the profiles"):
        check("https://elsewhere.example", DATABRICKS_CONFIG_FILE=config)


def test_with_environment_credentials_a_profile_leads_to_the_environment_host(config):
    """databricks-sdk reads the environment before the config file: the profile's host is
    not used, so the credentials stay with DATABRICKS_HOST."""
    check(profile="prod", DATABRICKS_CONFIG_FILE=config, DATABRICKS_HOST=MINE)


def test_the_operator_can_allow_another_host_by_option_or_environment(config):
    with pytest.raises(UserError) as refused:
        check("other.example", DATABRICKS_HOST=MINE)
    assert "--allow-host https://other.example" in refused.value.diagnostics[0].hint
    check("other.example", allowed=["https://other.example"], DATABRICKS_HOST=MINE)
    check("other.example", DATABRICKS_HOST=MINE,
          PROVISIONER_ALLOW_HOSTS="https://a.example, https://other.example")


def test_a_target_that_names_no_host_or_profile_is_not_checked():
    check(DATABRICKS_HOST=MINE)
